"""Triage: should this conversation reach a person, which queue, and how urgently?

Step 1 of every turn (see DESIGN.md), before any retrieval: each signal is a pure function
over the conversation that returns a score and a reason an agent can read.

- anger: the detector (`assistant.anger`) over every customer turn, and its trajectory; a
  customer getting angrier turn after turn matters more than one sharp word.
- human requested: the customer asks for a person ("agent please", "let me talk to a real
  human", "call me"). "User agent" or "my travel agent" are not requests.
- repeated failure: "that didn't help", "still doesn't work", a thumbs-down on the last answer,
  or the question just answered asked again (a follow-up on the same topic is not a repeat).
- policy topics (`policies.yaml`): refunds, cancellations, disputes, security incidents, legal,
  data deletion, sales. Asking *about* a policy is for the bot; demanding the action is not.

The customer's plan and VIP status ride along (`Triage.customer`) for the case's priority
(`assistant.handoff.priority`); they never decide whether to hand off.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from assistant.anger import AngerDetector, AngerResult, Trajectory, trajectory
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.ports import Vectors
from assistant.text import content_words
from assistant.types import Turn

POLICY_FILE = Path(__file__).resolve().parent / "policies.yaml"
Queue = Literal["support", "billing", "security", "legal", "sales"]
QUEUES: tuple[Queue, ...] = ("support", "billing", "security", "legal", "sales")
FIRES = 0.5  # a signal with at least this score counts


@dataclass(frozen=True)
class Signal:
    name: str  # anger | human_requested | repeated_failure | policy:<name>
    score: float  # in [0, 1]
    reason: str  # for the agent reading the hand-off

    @property
    def fired(self) -> bool:
        return self.score >= FIRES


@dataclass(frozen=True)
class CustomerContext:
    plan: str = ""  # free | trial | starter | pro | business | enterprise
    vip: bool = False


@dataclass(frozen=True)
class Policy:
    name: str
    queue: Queue
    bot_may_answer_first: bool
    urgency: int
    reason: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()
    always: tuple[re.Pattern[str], ...] = ()


def _compile(name: str, patterns: Any) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns or ():
        try:
            if not isinstance(pattern, str):  # an unquoted ": " makes YAML read a mapping
                raise re.error("not a string; quote it")
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            message = f"policy {name!r}: bad pattern {pattern!r} ({exc}) in {POLICY_FILE.name}"
            raise AnswerdeskError(ErrorCode.CONFIGURATION, message) from exc
    return tuple(compiled)


@functools.cache
def load_policies(path: Path = POLICY_FILE) -> tuple[Policy, ...]:
    """Policies from YAML, checked at load so a typo fails loudly, not silently never matches."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    policies = []
    for name, spec in (data.get("policies") or {}).items():
        queue = spec.get("queue")
        if queue not in QUEUES or not isinstance(spec.get("bot_may_answer_first"), bool):
            raise AnswerdeskError(ErrorCode.CONFIGURATION, f"policy {name!r} in {path}: `queue` "
                                  f"must be one of {', '.join(QUEUES)} and `bot_may_answer_first` "
                                  "true or false")  # fmt: skip
        policies.append(Policy(
            name, queue, spec["bot_may_answer_first"], int(spec.get("urgency", 1)),
            str(spec.get("reason", name)), _compile(name, spec.get("patterns")),
            _compile(name, spec.get("unless")), _compile(name, spec.get("always")),
        ))  # fmt: skip
    return tuple(policies)


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def policy_signals(text: str, policies: Sequence[Policy]) -> list[Signal]:
    """The policies one customer message triggers (asking about one does not trigger it)."""
    found = []
    parts = sentences(text)
    for policy in policies:
        if any(p.search(text) for p in policy.always):
            found.append(Signal(f"policy:{policy.name}", 0.95, policy.reason))
            continue
        scope = [s for s in parts if not any(u.search(s) for u in policy.unless)] \
            if policy.unless else [text]  # fmt: skip
        if any(p.search(s) for p in policy.patterns for s in scope):
            found.append(Signal(f"policy:{policy.name}", 0.9, policy.reason))
    return found


# --- asking for a person -----------------------------------------------------------------

_WHO = (
    r"(?:a |an |some |the |your |one of your )?(?:real |actual |live |human |proper |support |"
    r"customer (?:service |support )?)*(?:person|human(?: being)?|agent|rep|representative|"
    r"operator|manager|supervisor|staff(?: member)?|employee|member of (?:staff|your team)|"
    r"support team|team member)s?\b"
)
_WHO_ANYONE = r"(?:" + _WHO + r"|some(?:one|body)|any(?:one|body))"
_ASK = (
    r"\b(?:let me|can i|could i|may i|i(?: want| need| demand| insist on| would like|'d like|"
    r" wanna)|we(?: want| need| would like|'d like)|i have to|please|pls|just|get me|give me|"
    r"(?:put|pass|hand) me (?:on |over |through )?to|transfer me to|connect me (?:to|with)|"
    r"escalate (?:this |me |it )?to)"
)
_TALK = r"(?:\s+to)?\s+(?:talk|speak|chat)\s+(?:to|with)\s+"
_NOT_A_PERSON = r"(?<!user )(?<!travel )(?<!estate )(?<!insurance )(?<!booking )(?<!secret )"
HUMAN_PATTERNS = tuple(re.compile(p, re.IGNORECASE) for p in (
    _ASK + _TALK + _WHO_ANYONE,  # "let me talk to someone", "I need to speak with an agent"
    _ASK + r"\s+" + _WHO,  # "I want a human", "get me your manager"
    r"\b(?:get|find|bring|send|fetch) (?:me|us) (?:some(?:one|body)|any(?:one|body))\b",
    _ASK + _TALK + r"(?:your |the )?(?:support|customer service|billing|sales)(?: team)?\b",
    r"^\W*(?:an? |the |real |live )*(?:agent|human|person|representative|rep|operator|someone)"
    r"\s*(?:please|pls|plz|now|asap)?\W*$",  # the whole message: "agent", "human please!"
    _NOT_A_PERSON + r"\b(?:agent|human|representative|operator)\W{0,3}(?:please|pls|plz|now)\b",
    r"\b(?:is there|are there|how (?:do|can) i (?:reach|contact|get hold of|get|talk to|speak "
    r"(?:to|with))|any(?:one|body) (?:i|we) can (?:talk|speak|chat) (?:to|with))\b.{0,25}?"
    r"\b(?:real |actual |live )?(?:person|human|agent|someone|anyone|somebody|representative)",
    r"\b(?:please|pls|can you|could you|can someone|could someone|would you|will you|"
    r"somebody|someone)\s+(?:\w+\s+)?(?:call|ring|phone)\s+(?:me|us)\b|\b(?:call|ring) (?:me|us) "
    r"(?:back|asap|now|today|tomorrow|at|on)\b|^\W*call me\b|\bgive (?:me|us) a (?:call|ring)\b"
    r"|\b(?:schedule|book|set up|arrange|have|get) a (?:phone |video )?call\b",
    r"\bescalate (?:this|it|my (?:case|ticket|issue)|me)\b",
))  # fmt: skip
# Says no to the bot itself, so a negation does not cancel it.
_NO_BOT = re.compile(
    r"\b(?:stop|no more|enough with|don't want|do not want|tired of|sick of|rather not)\s+"
    r"(?:(?:to\s+)?(?:talk|chat|speak|deal)\w*\s+(?:to|with)\s+)?(?:the |this |a |your )?"
    r"(?:bot|robot|ai|machine|chatbot|automated)\b",
    re.I,
)
_MAYBE_HUMAN = re.compile(
    r"\b(?:are you|am i (?:talking|chatting|speaking) (?:to|with)) an? (?:bot|robot|ai|real "
    r"person|human|machine)\b|\bhow (?:do|can) i contact (?:support|customer service)\b",
    re.I,
)
_CLAUSE = re.compile(r"[,;.!?]+\s*|\s+but\s+", re.IGNORECASE)
_DECLINE = re.compile(r"\b(?:don't|do not|no need|not|never|without)\b", re.IGNORECASE)


def human_request(text: str) -> Signal:
    """Explicit requests score 0.95; "are you a bot?" 0.4 (worth noting, not a hand-off)."""
    if match := _NO_BOT.search(text):
        return Signal("human_requested", 0.95, f'does not want the bot: "{match.group(0)}"')
    for clause in _CLAUSE.split(text):
        for pattern in HUMAN_PATTERNS:
            match = pattern.search(clause)
            if match and not _DECLINE.search(clause[: match.start()]):
                return Signal("human_requested", 0.95, f'asks for a person: "{match.group(0)}"')
    if _MAYBE_HUMAN.search(text):
        return Signal("human_requested", 0.4, "asks whether a person is there")
    return Signal("human_requested", 0.0, "")


# --- repeated failure --------------------------------------------------------------------

FAILURE = re.compile(
    r"\b(?:that|this|it|your (?:answer|suggestion|fix|article|link))\s+(?:didn't|did not|doesn't|"
    r"does not|won't|hasn't|has not)\s+(?:help|work|fix|solve|change|do anything)"
    r"|\bstill\s+(?:doesn't|does not|isn't|is not|not|won't|can't|cannot|broken|fail\w*|the same)"
    r"|\bstill\s+get\w*\s+(?:the same|that|this|an?)\s+(?:error|problem|issue|message)"
    r"|\b(?:it|that|this)\s+still\s+(?:says|shows|showing|saying|happens|happening|appears)\b"
    r"|\b(?:already|i've|i have|we've|we have)\s+(?:already\s+)?(?:tried|done|did|followed|read)"
    r"\s+(?:that|this|those|these|it|the steps|all|everything|your)"
    r"|\bsame (?:error|problem|issue|message|answer|article|link|reply)\b"
    r"|\bnot what i (?:asked|meant|need|wanted)|\byou(?:'re| are) not (?:listening|understanding)"
    r"|\bthat's not (?:it|right|what i|helpful|correct)|\byou already (?:said|sent|told)"
    r"|\b(?:nope|no),? (?:it |that )?(?:didn't|doesn't|did not|does not) (?:work|help)",
    re.IGNORECASE,
)
# A repeat says nothing new: Jaccard of content words with the question just answered. 0.5 took
# topic follow-ups for repeats ("Do I need a real estate agent?" / "How to become a real estate
# agent and does it pay?" share 3 of 6 words); rephrasings share nearly all of theirs.
REPHRASE_OVERLAP = 0.7
# Or MiniLM cosine, when vectors are given: paraphrases of one question measured 0.80-0.97,
# different questions on the same topic ("export invoices" / "export expenses") 0.5-0.65.
REPHRASE_COSINE = 0.8


def _overlap(a: str, b: str) -> float:
    x, y = set(content_words(a)), set(content_words(b))
    return len(x & y) / len(x | y) if len(x & y) >= 2 else 0.0


def repeated_failure(
    turns: Sequence[Turn], thumbs_down: bool = False, vectors: Vectors | None = None
) -> Signal:
    """After an answer: the customer says it failed, marks it unhelpful, or asks again.

    Asking again means rephrasing the question the last answer replied to. A question on the
    same topic as some earlier one is how conversations go on ("what is a stock exchange?" then
    "which are the biggest ones?"), so only the latest earlier question is compared, and only
    when an answer came in between.

    `vectors` are unit embeddings of the customer turns, in order (optional).
    """
    customer = [i for i, t in enumerate(turns) if t.speaker == "user"]
    if not customer:
        return Signal("repeated_failure", 0.0, "")
    last = customer[-1]
    answered = any(t.speaker != "user" for t in turns[:last])
    failed = [i for i in customer if FAILURE.search(turns[i].text)
              and any(t.speaker != "user" for t in turns[:i])]  # fmt: skip
    if len(failed) >= 2:
        return Signal("repeated_failure", 1.0, f"says the help failed {len(failed)} times")
    if thumbs_down:
        return Signal("repeated_failure", 0.9, "marked the last answer unhelpful")
    if match := FAILURE.search(turns[last].text):
        if answered:
            return Signal("repeated_failure", 0.9, f'says the answer failed: "{match.group(0)}"')
        return Signal("repeated_failure", 0.4, "says earlier attempts failed")
    if len(customer) >= 2 and any(t.speaker != "user" for t in turns[customer[-2] : last]):
        earlier = customer[-2]
        overlap = _overlap(turns[earlier].text, turns[last].text)
        cosine = float(np.dot(vectors[-2], vectors[-1])) if vectors is not None else 0.0
        if overlap >= REPHRASE_OVERLAP or cosine >= REPHRASE_COSINE:
            return Signal("repeated_failure", 0.8, "asks the same question again")
    return Signal("repeated_failure", 0.0, "")


# --- the whole picture -------------------------------------------------------------------


@dataclass(frozen=True)
class Triage:
    angry: bool
    anger: float  # anger escalation (level + rising trend); 0.5 = the detector's threshold
    human_requested: bool
    repeated_failure: bool
    policy: list[str]  # names of the triggered policies, most urgent first
    reasons: list[str]  # every fired signal's reason, most urgent first
    queue: Queue = "support"
    urgency: int = 0  # the most urgent triggered policy's `urgency` (0-3), for the priority
    customer: CustomerContext = field(default_factory=lambda: CustomerContext())
    bot_may_answer_first: bool = True  # False when any fired signal needs a person now
    anger_trend: float = 0.0  # > 0: angrier turn after turn
    signals: list[Signal] = field(default_factory=list)
    # Angrier than frustration an answer can settle (the detector's strong level, or rising):
    # a person takes over at once. Anger below it lets a confident answer go first.
    strongly_angry: bool = False

    @property
    def handoff(self) -> bool:
        return self.angry or self.human_requested or self.repeated_failure or bool(self.policy)


def anger_signal(
    results: Sequence[AngerResult], threshold: float, strong: float = 1.0
) -> tuple[Signal, Trajectory, bool]:
    """The trajectory over the customer turns, with the latest turn's reasons.

    The score is re-scaled so that the detector's threshold lands on FIRES, like every signal.
    """
    path = trajectory([r.score for r in results])
    reasons = list(results[-1].reasons) if results else []
    if path.rising:
        reasons.insert(0, f"getting angrier over {min(path.turns, 4)} messages")
    score = path.escalation
    fired = score >= threshold
    scaled = FIRES * score / threshold if score < threshold else \
        FIRES + (1 - FIRES) * (score - threshold) / max(1e-9, 1 - threshold)  # fmt: skip
    text = "angry or frustrated: " + ", ".join(reasons) if fired and reasons else \
        "angry or frustrated" if fired else ""  # fmt: skip
    strongly = fired and (score >= strong or path.rising)
    return Signal("anger", round(scaled, 4), text), path, strongly


def triage(
    turns: Sequence[Turn],
    detector: AngerDetector | None = None,
    policies: Sequence[Policy] | None = None,
    context: CustomerContext | None = None,
    thumbs_down: bool = False,
) -> Triage:
    """Every signal over the conversation so far; the latest customer turn is the one asked."""
    detector = detector or AngerDetector()
    policies = load_policies() if policies is None else policies
    context = context or CustomerContext()
    texts = [t.text for t in turns if t.speaker == "user"]
    latest = texts[-1] if texts else ""
    vectors = detector.embedder.embed(texts) if detector.embedder and texts else None
    anger, path, strongly = anger_signal(
        detector.assess_many(texts, vectors), detector.threshold, detector.strong
    )
    failure = repeated_failure(turns, thumbs_down, vectors)
    human = human_request(latest)
    triggered = policy_signals(latest, policies)
    by_name = {p.name: p for p in policies}
    chosen = sorted((by_name[s.name.split(":", 1)[1]] for s in triggered),
                    key=lambda p: -p.urgency)  # fmt: skip
    signals = [s for s in (anger, human, failure, *triggered) if s.fired]
    urgent = [p.name for p in chosen]
    return Triage(
        angry=anger.fired, anger=anger.score, human_requested=human.fired,
        repeated_failure=failure.fired, policy=urgent,
        reasons=[s.reason for s in sorted(signals, key=lambda s: -s.score)],
        queue=chosen[0].queue if chosen else "support",
        urgency=max((p.urgency for p in chosen), default=0), customer=context,
        bot_may_answer_first=not (strongly or human.fired or failure.fired)
        and all(p.bot_may_answer_first for p in chosen),
        anger_trend=path.trend, signals=[anger, human, failure, *triggered],
        strongly_angry=strongly,
    )  # fmt: skip

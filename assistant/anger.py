"""Is the customer angry or frustrated, and getting angrier?

An angry customer should reach a person before the bot tries again, so this is a triage
signal, not a sentiment score. Three kinds of evidence are added up in log-odds:

- **Lexicon** (VADER): how negative or positive the wording is. Cheap and robust, but it
  cannot tell "my dog died" (sad) from "you charged me twice" (angry).
- **Rules**: phrasings that mean frustration in support conversations: shouting in capitals,
  "?!", profanity, threats to cancel, switch, charge back, sue or post a review, "this is the
  third time", "still not fixed", "unacceptable". They are rare in the Reddit comments the
  head learns from, so their weights are set by hand as log-odds, not learned.
- **Learned head**: a logistic regression over the MiniLM sentence embeddings we already
  compute, trained on GoEmotions and the dev half of our labelled support messages
  (`evals/data/frustration/`, labelled by its GUIDE.md) by `python -m evals.train_anger`, which
  also fits the blend and chooses the thresholds on those support messages and saves them in
  `anger_head.json`. Reddit anger is not support frustration: "my order is two weeks late and
  nobody answers" must count, "cancel my trial" must not. `python -m evals.frustration`
  measures it on the held-out half, beside VADER alone.

The embedder is optional: without one the lexicon and rules decide alone, with their own
blend and threshold (from the same artifact), so the logic is testable in milliseconds.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.ports import Embedder
from assistant.text import STOPWORDS

HEAD_FILE = Path(__file__).resolve().parent / "anger_head.json"
RULES_CAP = 4.0  # rules alone can add at most this much log-odds: evidence, not a verdict


@dataclass(frozen=True)
class Rule:
    reason: str  # says why, for the agent reading the hand-off
    weight: float  # log-odds added when the pattern is found
    pattern: re.Pattern[str]
    negatable: bool = False  # "not angry", "never useless" do not count


def _rule(reason: str, weight: float, pattern: str, negatable: bool = False) -> Rule:
    return Rule(reason, weight, re.compile(pattern, re.IGNORECASE), negatable)


_THREAT = (
    r"\b(?:(?:i|we)(?:'ll|’ll| will| shall)|(?:i'm|i’m|i am|we're|we’re|we are)\s+"
    r"(?:going to|gonna|about to|ready to|(?:seriously )?(?:considering|thinking (?:of|about)))"
    r"|or (?:else )?(?:i|we)(?:'ll|’ll| will)?|otherwise (?:i|we)(?:'ll|’ll| will)?)"
    r"\s+(?:just |simply |have to |be )?"
)
# fmt: off
RULES: tuple[Rule, ...] = (
    _rule("profanity", 1.5,
          r"\b(?:fuck\w*|f+\*+k\w*|shit\w*|sh\*t|bullshit|crap(?:py)?|damn(?:it)?|goddamn\w*|"
          r"wtf|ffs|piss(?:ed|ing)?|bloody|bastards?|arse|asshole|screw (?:you|this|it)|"
          r"the hell|hell is|sucks?)\b"),
    _rule("threatens to cancel", 2.0,
          _THREAT + r"(?:cancel\w*|close|terminate|end|drop)\s+(?:my |our |the )?"
          r"(?:account|subscription|plan|membership|contract|service)"),
    _rule("threatens to cancel", 2.0,
          _THREAT + r"(?:cancel\w*|leave|quit|walk away|stop paying)\b"
          r"(?!\s+(?:the|this|that|an?|it|my|our|your|you)\b)"),
    _rule("threatens to cancel", 2.0,  # "if this isn't fixed today I'm cancelling"
          r"\b(?:if|unless)\b[^.?!]{0,60}\b(?:i'm|i’m|i am|we're|we’re|we are)\s+(?:cancel\w*|"
          r"leaving|switching|done)\b"),
    _rule("threatens to switch provider", 1.5,  # as a threat: "we moved to X" is a fact
          r"(?:" + _THREAT + r"|\bor (?:i'm|i’m|i am|we're|we’re|we are)\s+)"
          r"(?:switch\w*|mov\w+|migrat\w+|go\w*)\s+(?:\w+\s+){0,3}?(?:over |back )?to\s+"
          r"(?:a |an )?(?:competitor|another (?:provider|tool|app|service|company|vendor)|"
          r"something else|quickbooks|xero|freshbooks|wave|sage|zoho|netsuite)\b"
          r"|\btake (?:my|our) (?:business|money) elsewhere|\bfind (?:another|a different|a "
          r"better) (?:provider|tool|app|solution|company|vendor)"),
    _rule("threatens a chargeback", 2.0,
          r"\bcharge-?backs?\b|\bdisput\w* (?:it|this|the (?:charges?|payments?)) with "
          r"(?:my|the) (?:bank|card)|\b(?:call|contact|report \w+ to) my "
          r"(?:bank|card (?:company|issuer))"),
    _rule("threatens legal action", 2.0,
          r"\b(?:lawyers?|attorneys?|solicitors?|sue|suing|lawsuit|legal action|small claims|"
          r"court|ombudsman|regulator|trading standards|consumer protection|bbb)\b"),
    _rule("threatens a public review", 1.5,
          r"\b(?:(?:one|1)[- ]star|bad review|negative review|trustpilot|capterra|social media|"
          r"tell (?:everyone|everybody|all my)|warn (?:others|everyone|people)|go public|"
          r"post (?:this|about (?:this|you)) (?:on|online|everywhere))\b"),
    _rule("says this is a repeat contact", 1.5,
          r"\b(?:(?:second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|tenth|umpteenth|nth) time"
          r"|how many (?:more )?times (?:do|must|should|will|have|did) i|(?:asked|told|written|"
          r"explained|contacted)\w* (?:you )?(?:this )?(?:again and again|over and over)"
          r"|(?:keep|kept) (?:asking|telling|writing|getting)|(?:called|"
          r"written|wrote|emailed|messaged|phoned|contacted|asked|chased)\w* (?:you |them |support "
          r")?(?:\d+|two|three|four|five|six|several|many|multiple) times|(?:already|i've|i have) "
          r"(?:told you|explained|asked (?:this|you)|reported this)|(?:\d+|three|four|five|"
          r"several|multiple|countless) (?:emails|tickets|messages|calls|chats))\b"),
    _rule("says it is still not fixed", 1.0,
          r"\bstill\s+(?:not|isn't|is not|doesn't|does not|hasn't|has not|haven't|have not|won't|"
          r"can't|cannot|broken|failing|down|waiting|nothing|there|happening|the same|[\"'“]?"
          r"(?:processing|pending|under review|in transit)|no (?:fix|answer|reply|response|"
          r"refund|explanation))\b|\bhow is (?:this|it|that) still\b"
          r"|\bnot (?:fixed|resolved) yet\b|\bnever (?:got|received|heard) (?:back|a reply)"),
    _rule("complains nobody responds", 1.0,
          r"\b(?:no ?one|nobody)\b.{0,20}\b(?:replie[sd]|respond\w*|answer\w*|got back|gets back|"
          r"cares|helps?|calls?|picks? up|reads?|listens?|knows|(?:has |have )?(?:given|told|"
          r"called|explained|warned))\b|\bwait\w*\b.{0,25}\b(?:\d+|two|three|four|five|six|"
          r"several|many)\s+(?:days|weeks|months)\b|\bno (?:reply|response|answer|call ?back|"
          r"apology|explanation)\b(?! (?:is )?needed)|\bnot (?:one|a single|even an?) (?:reply|"
          r"response|word|apology|call)\b|\b(?:won't|will not|never|didn't|did not|doesn't|does "
          r"not) (?:call|get|write|ring) (?:me |us )?back\b|\bhung up on (?:me|us)\b|\b(?:keep|"
          r"kept|keeps|were|was|are|being|been) ignor\w+|\bcopy[- ]paste\w* (?:answers?|"
          r"repl\w+)|\bcanned (?:answers?|repl\w+|responses?)"),
    _rule("complains it takes too long", 1.0,  # time alone is not anger; time and still/nobody is
          r"(?=.*\b(?:still|nobody|no ?one|no (?:reply|answer|news|update)|never|again)\b)"
          r".*\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|many)\s+"
          r"(?:days|weeks|months)\b"),
    _rule("says it keeps happening", 1.0,
          r"\b(?:every single (?:day|time|week|month)|every time (?:i|we) (?:call|write|contact|"
          r"open|log|try|ask)|yet again|once again|again and again|(?:third|fourth|fifth|3rd|"
          r"4th|5th) (?:time|wrong|outage|month)|(?:second|2nd) (?:outage|incident|failure|breach)|"
          r"one more time|keeps? (?:\w+ing) (?:me|us)(?! (?:out|off)\b)|"
          r"(?:\d+|two|three|four|five|six) (?:different (?:agents|people|stories|answers)|"
          r"agents|excuses))\b|\bagain\s*(?:\?!|!\?|\?\?|!!)"),
    _rule("says they are exasperated", 1.5,
          r"\b(?:i give up|never again|lose it|losing it|i swear|for (?:god's|heaven's|christ's|"
          r"pete's|f\w*'?s) sake|beyond a joke|what(?:'s| is) the point|"
          r"(?:is )?this (?:is )?how you treat|how is (?:it|this|that) (?:possible|acceptable|"
          r"okay|ok)|(?:tired|exhausted) of "
          r"(?:chasing|waiting|calling|writing|asking|being)|wast(?:ed|ing) my (?:whole |entire )?"
          r"(?:time|day|afternoon|morning|evening|weekend)|ruin(?:ed|ing) (?:my|our)|laughed "
          r"(?:it |me |us )?off|hung up|want (?:this |it )?escalated|not giving up|i want answers|"
          r"can't keep (?:\w+ing)|(?:really|so|very|extremely|deeply|hugely|massively|"
          r"bitterly) disappointed|not happy at all|stop stealing|wasting my time)\b"),
    _rule("demands an explanation or compensation", 1.0,  # …or refuses the self-service
          r"\b(?:i|we)(?:'d| would)? (?:want|demand|expect|deserve|insist on)\s+(?:(?:an?|some|"
          r"a full|full|a proper|proper|a real|real)\s+)?(?:explanation|compensation|apology)\b"
          r"|\bnot (?:a|another|just a|some) (?:link|article|faq|bot|canned)\b"),
    _rule("says it is unacceptable", 2.0,
          r"\b(?:unacceptable|not acceptable|outrageous|disgrace\w*|appalling|shameful|"
          r"inexcusable|disgusting)\b"),
    _rule("calls it useless or ridiculous", 1.5,
          r"\b(?:useless|ridiculous|absurd|pathetic|worthless|incompetent|joke of a|garbage|"
          r"(?:is|was|what) a (?:total |complete )?joke|rubbish|junk|waste of (?:my |our )?"
          r"(?:time|money)|(?:the )?worst|(?:terrible|horrible|awful|lousy) (?:service|support|"
          r"experience|company|app|software)|disaster|shambles|nightmare|farce|shocking|rude|"
          r"filthy|liars?|lied|disorgani[sz]ed|incompetence|clueless|(?:is|was) terrible|"
          r"be ashamed)\b",
          negatable=True),
    _rule("accuses us of a scam", 2.0,
          r"\b(?:scam\w*|rip-?off|ripping (?:me|us) off|theft|stealing|steal(?:ing)? my money)\b"),
    _rule("says they are angry or fed up", 1.5,
          r"\b(?:furious|livid|fuming|pissed|angry|irate|outraged|infuriat\w+|frustrat\w+|"
          r"annoy\w+|exasperat\w+|fed up|sick (?:and tired )?of|had enough|enough is enough|"
          r"done with (?:you|this)|losing (?:my )?patience|(?:i'm|i am) done)\b",
          negatable=True),
    _rule("exasperated or sarcastic phrasing", 1.2,
          r"\b(?:thanks for nothing|yeah,? right|oh,? great|as usual|surprise,? surprise|you "
          r"people|are you (?:kidding|serious|joking)|do your job|what am i paying (?:you )?for|"
          r"seriously\?|unbelievable|how hard (?:can|is) it|is it too much to ask)"),
    # Evidence against: someone asking how to do something, or asking about a topic ("can the
    # virus be killed by heat?"), is asking, not venting, however negative the topic's words.
    # The head, trained on Reddit, reads words like "cancel" as annoyance; this keeps such
    # questions calm. "Are you kidding?", "is anyone there?" are not calm questions.
    _rule("asks a how-to question", -0.7,
          r"^\W*(?:(?:hi|hello|hey|quick question)\b\W*)?(?:how (?:do|does|can|would|should|"
          r"much|many|long|often|far)\b|how to|where (?:do|can|is|are)|can (?:i|we|you)|could "
          r"(?:i|we|you)|is there|are there|is it (?:possible|normal|safe|true)|what(?:'s| is| are|"
          r" does| do| happens| if)|which|when (?:do|does|will|is|can)|who|(?:is|are|can|does|do|"
          r"will|did|was|were|should|could|has|have)\b(?! (?:you|u|anyone|anybody|any ?one|"
          r"nobody|no ?one|this how|that how|it (?:so|really|seriously|too|even))\b))\b"),
)
# fmt: on
_NEGATION = re.compile(r"\b(?:not|never|no|isn't|wasn't|don't|didn't|n't)\s+(?:\w+\s+)?$", re.I)
_REPEATED_MARKS = re.compile(r"!{2,}|\?{2,}|\?!|!\?")
_CAPS_WORD = re.compile(r"\b[A-Z][A-Z']{2,}\b")
# Acronyms and code are not shouting; words under five letters count only if common English.
_ACRONYMS = frozenset(re.findall(r"\w+", """
    HTTPS OAUTH SAML IBAN GDPR CSV PDF API SSO VAT USD EUR JSON HTML
    SELECT FROM WHERE JOIN NULL INSERT UPDATE GROUP ORDER LIMIT POST PATCH
"""))  # fmt: skip
_SHOUT_SHORT = STOPWORDS | {"stop", "fix", "why", "work", "works", "done", "same", "help", "now"}


def shouting(text: str) -> list[tuple[str, float]]:
    """All-caps words (not acronyms) and repeated '!'/'?!' as weighted reasons."""
    # Distinct words: a name in capitals ("METRO AB") repeated is not shouting.
    words = {
        w for w in _CAPS_WORD.findall(text)
        if w not in _ACRONYMS and (len(w) >= 5 or w.lower() in _SHOUT_SHORT)
    }  # fmt: skip
    letters = [c for c in text if c.isalpha()]
    upper = sum(c.isupper() for c in letters) / len(letters) if letters else 0.0
    found: list[tuple[str, float]] = []
    if len(words) >= 2 or (upper > 0.6 and len(letters) >= 12):
        found.append(("all-caps shouting", 1.5))
    elif words:
        found.append(("emphasis in capitals", 0.3))
    if marks := _REPEATED_MARKS.findall(text):
        # "?!" reads as exasperation; "!!" is as often delight ("Thanks!!"), "??" puzzlement.
        exasperated = any(m in ("?!", "!?") for m in marks)
        found.append(('repeated "!" or "?!"', 0.8 if exasperated else 0.4))
    return found


def rule_evidence(text: str) -> list[tuple[str, float]]:
    """Every rule that fires, as (reason, log-odds); one entry per reason, strongest first."""
    found = dict(shouting(text))
    for rule in RULES:
        for match in rule.pattern.finditer(text):
            before = text[max(0, match.start() - 20) : match.start()]
            if rule.negatable and _NEGATION.search(before):
                continue
            found[rule.reason] = max(found.get(rule.reason, rule.weight), rule.weight)
            break
    return sorted(found.items(), key=lambda item: -item[1])


# What support messages are about, not how the customer feels: VADER scores "keeps failing",
# "error", "cancel" as negative feeling, yet a calm fault report is made of these words.
FAULT_WORDS = frozenset(re.findall(r"\w+", """
    fail failed failing fails failure error errors broken crash problem problems problematic
    wrong missing lost stuck delayed delay cancel cancelled trouble damage damaged defective
"""))  # fmt: skip


@functools.cache
def _vader(topic_neutral: bool = True) -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    if topic_neutral:
        analyzer.lexicon = {w: v for w, v in analyzer.lexicon.items() if w not in FAULT_WORDS}
    return analyzer


def lexicon(text: str, topic_neutral: bool = True) -> float:
    """VADER's compound polarity in [-1, 1] (it already weighs caps, '!' and negation); with
    `topic_neutral`, the fault words (FAULT_WORDS) carry no polarity."""
    return float(_vader(topic_neutral).polarity_scores(text)["compound"])


@dataclass(frozen=True)
class Blend:
    """How the evidence adds up to one log-odds (fitted by evals/train_anger.py)."""

    bias: float
    head: float  # weight of the head's log-odds (0 when there is no head)
    negative: float  # weight of max(0, -compound)
    positive: float  # weight of max(0, compound)
    threshold: float  # on the final score in [0, 1]
    # At or above: angrier than half the frustrated support messages it was fitted on. Anger
    # below this waits for the answer: a frustrated customer whose question the help center
    # answers is answered first (and offered a person); above it a person takes over at once.
    strong: float = 1.0

    def score(self, compound: float, rules: float, head_logit: float = 0.0) -> float:
        z = (
            self.bias + self.head * head_logit + self.negative * max(0.0, -compound)
            + self.positive * max(0.0, compound) + min(rules, RULES_CAP)
        )  # fmt: skip
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


@dataclass(frozen=True)
class AngerModel:
    """The learned head (weights over one embedder's vectors) and both blends."""

    weights: npt.NDArray[np.float32]
    bias: float
    embedder: str
    with_head: Blend
    without_head: Blend
    metrics: dict[str, Any] = field(default_factory=dict)

    def head_logits(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        if vectors.ndim != 2 or vectors.shape[1] != self.weights.shape[0]:
            raise AnswerdeskError(
                ErrorCode.CONFIGURATION,
                f"the anger head expects {self.weights.shape[0]}-dimensional {self.embedder} "
                f"vectors, got shape {vectors.shape}; retrain it: `python -m evals.train_anger`",
            )
        return np.asarray(vectors @ self.weights + self.bias, dtype=np.float64)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AngerModel:
        head = data["head"]
        return cls(
            np.asarray(head["weights"], dtype=np.float32), float(head["bias"]),
            str(head["embedder"]), Blend(**data["blend"]["with_head"]),
            Blend(**data["blend"]["without_head"]), dict(data.get("metrics", {})),
        )  # fmt: skip


@functools.cache
def load_model(path: Path = HEAD_FILE) -> AngerModel:
    """The shipped artifact, read once per process."""
    try:
        return AngerModel.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AnswerdeskError(
            ErrorCode.CONFIGURATION,
            f"cannot read the anger model {path}: {exc}; run `python -m evals.train_anger`",
        ) from exc


@dataclass(frozen=True)
class AngerResult:
    score: float  # in [0, 1]
    angry: bool  # score >= the threshold of the blend used
    reasons: list[str]  # human-readable, strongest first
    learned: float | None = None  # the head's own probability, when an embedder was given
    compound: float = 0.0  # VADER polarity


def assess(text: str, model: AngerModel, head_logit: float | None = None) -> AngerResult:
    """Score one message; `head_logit` is the head's log-odds for it, None without a head."""
    compound = lexicon(text)
    rules = rule_evidence(text)
    blend = model.without_head if head_logit is None else model.with_head
    score = blend.score(compound, sum(w for _, w in rules), head_logit or 0.0)
    reasons = [reason for reason, weight in rules if weight > 0]
    learned = None if head_logit is None else 1.0 / (1.0 + math.exp(-head_logit))
    if learned is not None and learned >= 0.8:
        reasons.append("angry tone (learned model)")
    if compound <= -0.5:
        reasons.append("strongly negative wording")
    return AngerResult(round(score, 4), score >= blend.threshold, reasons, learned, compound)


class AngerDetector:
    """`assess` with the shipped model and, optionally, the embedder for the learned head."""

    def __init__(self, embedder: Embedder | None = None, model: AngerModel | None = None):
        self.model = model or load_model()
        self.embedder = embedder
        if embedder is not None and embedder.name != self.model.embedder:
            raise AnswerdeskError(
                ErrorCode.CONFIGURATION,
                f"the anger head was trained on {self.model.embedder} vectors, not "
                f"{embedder.name}; retrain it with `python -m evals.train_anger`",
            )

    @property
    def blend(self) -> Blend:
        return self.model.without_head if self.embedder is None else self.model.with_head

    @property
    def threshold(self) -> float:
        return self.blend.threshold

    @property
    def strong(self) -> float:
        return self.blend.strong

    def assess(self, text: str) -> AngerResult:
        return self.assess_many([text])[0]

    def assess_many(
        self, texts: Sequence[str], vectors: npt.NDArray[np.float32] | None = None
    ) -> list[AngerResult]:
        """One embedding call for all texts (a conversation's customer turns); pass `vectors`
        when the caller has embedded them already."""
        if self.embedder is None or not texts:
            return [assess(t, self.model) for t in texts]
        if vectors is None:
            vectors = self.embedder.embed(list(texts))
        logits = self.model.head_logits(vectors)
        return [assess(t, self.model, float(z)) for t, z in zip(texts, logits, strict=True)]


@dataclass(frozen=True)
class Trajectory:
    """Anger across a conversation's customer turns: where it is now and where it is going."""

    level: float  # recency-weighted score: a sharp word fades as calmer turns follow
    trend: float  # least-squares change per turn over the recent turns (> 0: angrier)
    latest: float
    peak: float
    turns: int

    @property
    def rising(self) -> bool:
        """Three turns at least: the slope of two points is noise, not a pattern."""
        return self.turns >= 3 and self.trend >= 0.1

    @property
    def escalation(self) -> float:
        """The score triage compares with the threshold: getting angrier counts extra."""
        return max(self.latest, min(1.0, self.level + (self.trend if self.rising else 0.0)))


def trajectory(scores: Sequence[float], recency: float = 0.7, window: int = 4) -> Trajectory:
    """Level (exponentially weighted, the latest turn weighs `recency`) and trend."""
    if not scores:
        return Trajectory(0.0, 0.0, 0.0, 0.0, 0)
    level = scores[0]
    for score in scores[1:]:
        level = recency * score + (1 - recency) * level
    recent = scores[-window:]
    trend = float(np.polyfit(range(len(recent)), recent, 1)[0]) if len(recent) >= 2 else 0.0
    return Trajectory(round(level, 4), round(trend, 4), scores[-1], max(scores), len(scores))

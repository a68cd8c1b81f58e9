"""The case summary: what the agent reads first, so they start with the diagnosis written.

`extractive()` builds it deterministically from the transcript, the triage, the intake and the
knowledge base passages found for the issue: every fact in it is copied from one of those, and
the connecting words are fixed. `written()` lets the configured LLM rewrite the three prose
fields (issue, diagnosis, draft reply) from `prompts/summary.md`, and keeps each rewrite only if
every checkable fact in it (numbers, emails, links, codes, quoted text) is found in the
transcript or the passages: the summary never invents, whoever writes it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, cast

from pydantic import TypeAdapter

from assistant.handoff.intake import FIELDS, Intake, labelled, reports_problem
from assistant.handoff.priority import Priority
from assistant.ports import ChatModel
from assistant.probes import is_question
from assistant.store.protocol import Customer, StoredMessage
from assistant.text import numbers
from assistant.triage import Triage, human_request
from assistant.types import Answer, Citation, Message
from prompts import load_prompt

TRIED = re.compile(
    r"\b(?:tried|already|re-?installed|restarted|rebooted|cleared|reconnected|re-?connected|"
    r"logged (?:out|in) again|updated|reset|followed)\b",
    re.I,
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"https?://\S+|\b[\w-]+\.(?:com|io|org|net)/\S*")
_CODE = re.compile(r"\b(?=[A-Za-z-]*\d)(?=\d*[A-Za-z])[A-Za-z0-9-]{3,}\b")
_QUOTE = re.compile(r"[\"“]([^\"”]{3,})[\"”]")

NEXT_STEPS: dict[str, str] = {
    "policy:refund": "Check the charge against the refund policy, then refund or explain why not.",
    "policy:compensation": (
        "Check what failed and the SLA of their plan, then offer a credit or explain why not."
    ),
    "policy:billing_dispute": (
        "Compare the disputed charge with the billing history before replying."
    ),
    "policy:cancellation": (
        "Churn risk: confirm what they want cancelled and whether a plan change would keep them."
    ),
    "policy:security_incident": (
        "Treat as a security incident: secure the account first, then investigate."
    ),
    "policy:legal": "Route to legal; do not commit to anything in the reply.",
    "policy:data_deletion": "Verify the requester owns the account before any deletion.",
    "policy:sales": "Sales lead: reply with pricing options for their team size.",
    "angry": "Acknowledge the frustration first; the customer has already explained the problem.",
    "human_requested": (
        "The customer asked for a person: reply personally, not with an article link."
    ),
    "repeated_failure": "The articles already suggested did not help; do not send them again.",
    "low_confidence": "The help center has no confident answer: answer from product knowledge; "
    "your resolution can become a help article.",
    "out_of_scope": (
        "Nothing in the help center covers this: check whether it is a Tallybook question at all."
    ),
    "backend_unavailable": "The assistant's answer service failed during this conversation; "
    "answer from the help center directly.",
}


@dataclass(frozen=True)
class Tried:
    what: str
    url: str = ""
    helped: bool | None = None  # False: the customer said or showed it did not


@dataclass(frozen=True)
class Article:
    title: str
    url: str = ""
    document_id: str = ""


@dataclass(frozen=True)
class SimilarCase:
    document_id: str
    title: str


@dataclass(frozen=True)
class Diagnosis:
    text: str = ""
    sources: list[Citation] = field(default_factory=list)
    similar_cases: list[SimilarCase] = field(default_factory=list)


@dataclass(frozen=True)
class Sentiment:
    label: str = "unknown"  # calm | frustrated | angry | unknown
    score: float | None = None
    trajectory: list[float] = field(default_factory=list)  # per customer turn
    trend: str = "steady"  # rising | falling | steady


@dataclass(frozen=True)
class Line:
    speaker: str
    text: str
    created_at: str


@dataclass(frozen=True)
class CaseSummary:
    """What the agent reads first. Stored as JSON on the case (`to_json`), read back typed
    (`from_json`, tolerant of summaries written by older versions)."""

    customer: Customer = field(default_factory=Customer)
    channel: str = "chat"
    issue: str = ""  # the unresolved problem that caused the hand-off, in the customer's words
    triggers: list[str] = field(default_factory=list)  # why a person: anger, asked, policy...
    category: str = "general"
    description: str = ""
    tried: list[Tried] = field(default_factory=list)
    suggested_articles: list[Article] = field(default_factory=list)
    diagnosis: Diagnosis = field(default_factory=Diagnosis)
    next_steps: list[str] = field(default_factory=list)
    draft_reply: str = ""  # about the issue, or empty: an off-topic draft is worse than none
    sentiment: Sentiment = field(default_factory=Sentiment)
    priority: Priority = field(default_factory=lambda: Priority(0.5, "normal", []))
    handoff_reasons: list[str] = field(default_factory=list)
    explanation: str = ""
    confidence: float | None = None
    fields: dict[str, str] = field(default_factory=dict)  # label → value, as the customer said
    missing: list[str] = field(default_factory=list)  # labels a person still has to ask for
    also_reported: list[str] = field(default_factory=list)  # new problems after the hand-off
    transcript: list[Line] = field(default_factory=list)
    written_by: str = "extractive"

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], _ADAPTER.dump_python(self, mode="json"))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CaseSummary:
        known = {k: v for k, v in data.items() if k in _FIELD_NAMES}
        return _ADAPTER.validate_python(known)


_ADAPTER: TypeAdapter[CaseSummary] = TypeAdapter(CaseSummary)
_FIELD_NAMES = frozenset(f.name for f in fields(CaseSummary))

# What the agent reads as the trigger for each hand-off reason.
TRIGGERS = {
    "angry": "customer is angry",
    "human_requested": "asked for a person",
    "repeated_failure": "answers did not help",
    "low_confidence": "no confident answer in the help center",
    "out_of_scope": "not covered by the help center",
    "backend_unavailable": "the assistant failed",
}


def triggers(reasons: Sequence[str]) -> list[str]:
    return [
        f"policy: {r.split(':', 1)[1].replace('_', ' ')}"
        if r.startswith("policy:")
        else TRIGGERS.get(r, r.replace("_", " "))
        for r in dict.fromkeys(reasons)
    ]


@dataclass(frozen=True)
class SummaryInput:
    customer: Customer
    transcript: Sequence[StoredMessage]
    issue: str  # the customer's message that states the unresolved problem
    answer: Answer  # the engine's best answer to the issue (its draft may be empty)
    triage: Triage
    anger_by_turn: Sequence[float]
    reasons: Sequence[str]
    explanation: str
    intake: Intake
    priority: Priority
    unhelpful: frozenset[int] = frozenset()  # assistant message ids the customer marked unhelpful


def _customer_texts(transcript: Sequence[StoredMessage]) -> list[str]:
    return [m.text for m in transcript if m.speaker == "customer"]


def issue_line(texts: Sequence[str], limit: int = 140) -> str:
    """The customer's first substantive sentence, in their words — one that reports a problem
    or asks something before one that only asks for a person or vents."""
    sentences = [
        sentence
        for text in texts
        for sentence in re.split(r"(?<=[.!?;])\s+|\n+", text.strip())
        if len(re.findall(r"[A-Za-z]{3,}", sentence)) >= 3
    ]
    # "Please pass me to your team; it concerns the VAT…": the clause after the request.
    other = [s for s in sentences if not human_request(s).fired]
    topical = [s for s in other if reports_problem(s) or is_question(s) or _CODE.search(s)]
    best = (topical or other or sentences or [texts[0].strip() if texts else ""])[0]
    return best if len(best) <= limit else best[: limit - 1].rstrip() + "…"


def tried(inp: SummaryInput) -> list[Tried]:
    """What was already tried: the articles the assistant suggested (and whether they helped)
    and what the customer says they did."""
    out: list[Tried] = []
    for m in inp.transcript:
        if m.speaker == "assistant" and m.kind == "answer":
            for c in m.citations:
                helped = False if (m.id in inp.unhelpful or inp.triage.repeated_failure) else None
                out.append(Tried(f"Suggested: {c.title}", c.url, helped))
        elif m.speaker == "customer":
            for sentence in re.split(r"(?<=[.!?])\s+|\n+", m.text):
                if TRIED.search(sentence):
                    out.append(Tried(sentence.strip()[:200], "", False))
    return out


def sentiment(triage: Triage, anger_by_turn: Sequence[float]) -> Sentiment:
    trend = triage.anger_trend
    label = "angry" if triage.angry else "frustrated" if triage.anger >= 0.35 else "calm"
    return Sentiment(
        label,
        round(triage.anger, 3),
        [round(s, 3) for s in anger_by_turn],
        "rising" if trend > 0.05 else "falling" if trend < -0.05 else "steady",
    )


def diagnosis(answer: Answer) -> Diagnosis:
    cases = [p for p in answer.passages if p.kind == "case"][:3]
    similar = [SimilarCase(p.document_id, p.title) for p in cases]
    if answer.draft and not answer.needs_handoff:
        return Diagnosis(
            f"The help center suggests: {answer.draft}", list(answer.draft_citations), similar
        )
    if answer.passages:
        best = answer.passages[0]
        sources = list(answer.related[:3]) or [
            Citation(1, best.document_id, best.title, best.url, "", best.kind, "")
        ]
        return Diagnosis(
            f"No confident answer. Closest help-center material: {best.title}.", sources, similar
        )
    return Diagnosis("Nothing in the knowledge base matches this; it may be a content gap.")


def next_steps(reasons: Sequence[str], intake: Intake, has_draft: bool) -> list[str]:
    steps = []
    if intake.missing:
        steps.append("Ask for: " + ", ".join(FIELDS[m].label.lower() for m in intake.missing) + ".")
    steps += [NEXT_STEPS[r] for r in dict.fromkeys(reasons) if r in NEXT_STEPS]
    if has_draft:
        steps.append("Check the draft reply against the cited sources, then send it.")
    return steps


def draft_reply(answer: Answer, reasons: Sequence[str]) -> str:
    """A reply built on a confident answer to the issue itself; none otherwise (an agent fills a
    blank faster than they notice and delete an off-topic one)."""
    if (
        not answer.draft
        or answer.needs_handoff
        or {"low_confidence", "out_of_scope"} & set(reasons)
    ):
        return ""
    sorry = "Sorry for the trouble, and thanks for your patience. " if "angry" in reasons else ""
    return (
        f"Hi,\n\n{sorry}I've read your conversation with our assistant, so there's no need "
        f"to repeat anything.\n\n{answer.draft}"
    )


def lines(transcript: Sequence[StoredMessage]) -> list[Line]:
    return [
        Line(m.speaker, m.text, m.created_at.isoformat()) for m in transcript if m.speaker != "note"
    ]


def extractive(inp: SummaryInput) -> CaseSummary:
    texts = _customer_texts(inp.transcript)
    answer = inp.answer
    draft = draft_reply(answer, inp.reasons)
    return CaseSummary(
        customer=inp.customer,
        issue=issue_line([inp.issue]) if inp.issue else "",  # "": nothing said about it yet
        triggers=triggers(inp.reasons),
        category=inp.intake.category,
        description="\n".join(texts)[:2000],
        tried=tried(inp),
        suggested_articles=[
            Article(c.title, c.url, c.document_id)
            for m in inp.transcript
            if m.speaker == "assistant"
            for c in m.citations
        ],
        diagnosis=diagnosis(answer),
        next_steps=next_steps(inp.reasons, inp.intake, bool(draft)),
        draft_reply=draft,
        sentiment=sentiment(inp.triage, inp.anger_by_turn),
        priority=inp.priority,
        handoff_reasons=list(dict.fromkeys(inp.reasons)),
        explanation=inp.explanation,
        confidence=answer.confidence,
        fields=labelled(inp.intake.found),
        missing=[FIELDS[m].label for m in inp.intake.missing],
        transcript=lines(inp.transcript),
    )


def untraceable(text: str, sources: Sequence[str]) -> list[str]:
    """Checkable facts in `text` that none of `sources` contains: numbers, emails, links,
    codes and quoted text. Empty means nothing was invented that we can check."""
    corpus = " ".join(sources)
    lowered = corpus.lower()
    missing = [n for n in sorted(numbers(text)) if n not in numbers(corpus)]
    for pattern in (_EMAIL, _URL, _CODE):
        missing += [m for m in pattern.findall(text) if m.lower() not in lowered]
    missing += [q for q in _QUOTE.findall(text) if q.lower() not in lowered]
    return sorted(set(missing))


def _sources(inp: SummaryInput) -> list[str]:
    return [m.text for m in inp.transcript] + [p.text for p in inp.answer.passages]


def _parse(text: str) -> dict[str, str]:
    match = re.search(r"\{.*\}", text, re.S)
    if not match:
        return {}
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        return {}
    return {k: str(v).strip() for k, v in data.items() if isinstance(v, str | int | float)}


def written(inp: SummaryInput, model: ChatModel, max_tokens: int = 400) -> CaseSummary:
    """The extractive summary with its prose rewritten by the LLM where the rewrite checks out."""
    summary = extractive(inp)
    transcript = "\n".join(f"{m.speaker}: {m.text}" for m in inp.transcript if m.speaker != "note")
    passages = "\n\n".join(
        f"[{n}] {p.title}: {' '.join(p.text.split())[:600]}"
        for n, p in enumerate(inp.answer.passages[:3], start=1)
    )
    prompt = load_prompt("summary").render(transcript=transcript, passages=passages)
    try:
        reply = model.complete([Message("user", prompt)], max_tokens)
    except Exception:
        reply = None  # the LLM failing must not block the hand-off
    if not reply:
        return summary
    rewrites = _parse(reply)
    sources = _sources(inp)
    kept: dict[str, Any] = {}
    for key, target in (("issue", "issue"), ("diagnosis", "diagnosis"), ("reply", "draft_reply")):
        value = rewrites.get(key, "")
        if not value or untraceable(value, sources):
            continue
        if target == "draft_reply" and not summary.draft_reply:
            continue  # no confident answer to the issue: a written draft would be a guess
        kept[target] = (
            dataclasses.replace(summary.diagnosis, text=value) if target == "diagnosis" else value
        )
    if not kept:
        return summary
    by = f"{model.name} ({', '.join(kept)}; checked against the sources)"
    return dataclasses.replace(summary, **kept, written_by=by)


def summarize(inp: SummaryInput, model: ChatModel | None) -> CaseSummary:
    """The LLM writes the prose when one is configured; otherwise the extractive summariser."""
    return extractive(inp) if model is None else written(inp, model)


def unavailable(customer: Customer, transcript: Sequence[StoredMessage]) -> CaseSummary:
    """The summary when the assistant itself failed: only what is known without it — who, the
    customer's words, and why no diagnosis was written."""
    texts = _customer_texts(transcript)
    reason = "backend_unavailable"
    return CaseSummary(
        customer=customer,
        issue=issue_line(texts) or "Customer question",
        triggers=triggers([reason]),
        description="\n".join(texts)[:2000],
        diagnosis=Diagnosis("Not diagnosed: the assistant's answer service failed or timed out."),
        next_steps=[NEXT_STEPS[reason]],
        priority=Priority(0.5, "normal", ["the assistant was unavailable"]),
        handoff_reasons=[reason],
        explanation="the answer service is unavailable",
        transcript=lines(transcript),
        written_by="fallback",
    )

"""The case summary: what the agent reads first, so they start with the diagnosis written.

`extractive()` builds it deterministically from the transcript, the triage, the intake and the
knowledge base passages found for the issue: every fact in it is copied from one of those, and
the connecting words are fixed. `written()` lets the configured LLM rewrite the three prose
fields (issue, diagnosis, draft reply) from `prompts/summary.md`, and keeps each rewrite only if
every checkable fact in it (numbers, emails, links, codes, quoted text) is found in the
transcript or the passages: the summary never invents, whoever writes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from assistant.intake import FIELDS, Intake, labelled
from assistant.ports import ChatModel
from assistant.priority import Priority
from assistant.store.protocol import Customer, StoredMessage
from assistant.text import numbers
from assistant.triage import Triage
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
class SummaryInput:
    customer: Customer
    transcript: Sequence[StoredMessage]
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


def _unanswered(transcript: Sequence[StoredMessage]) -> list[str]:
    """The customer's messages since the assistant last answered: what the hand-off is about
    (an earlier, answered question is not)."""
    last = max((i for i, m in enumerate(transcript) if m.kind == "answer"), default=-1)
    return [m.text for m in transcript[last + 1 :] if m.speaker == "customer"]


def issue_line(texts: Sequence[str], limit: int = 140) -> str:
    """The customer's first substantive sentence, in their words."""
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text.strip()):
            if len(re.findall(r"[A-Za-z]{3,}", sentence)) >= 3:
                return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"
    first = texts[0].strip() if texts else ""
    return first[:limit]


def tried(inp: SummaryInput) -> list[dict[str, Any]]:
    """What was already tried: the articles the assistant suggested (and whether they helped)
    and what the customer says they did."""
    out: list[dict[str, Any]] = []
    for m in inp.transcript:
        if m.speaker == "assistant" and m.kind == "answer":
            for c in m.citations:
                helped = False if (m.id in inp.unhelpful or inp.triage.repeated_failure) else None
                out.append({"what": f"Suggested: {c.title}", "url": c.url, "helped": helped})
        elif m.speaker == "customer":
            for sentence in re.split(r"(?<=[.!?])\s+|\n+", m.text):
                if TRIED.search(sentence):
                    out.append({"what": sentence.strip()[:200], "url": "", "helped": False})
    return out


def sentiment(inp: SummaryInput) -> dict[str, Any]:
    trend = inp.triage.anger_trend
    label = "angry" if inp.triage.angry else "frustrated" if inp.triage.anger >= 0.35 else "calm"
    return {
        "label": label,
        "score": round(inp.triage.anger, 3),
        "trajectory": [round(s, 3) for s in inp.anger_by_turn],
        "trend": "rising" if trend > 0.05 else "falling" if trend < -0.05 else "steady",
    }


def diagnosis(answer: Answer) -> dict[str, Any]:
    cases = [p for p in answer.passages if p.kind == "case"][:3]
    similar = [{"document_id": p.document_id, "title": p.title} for p in cases]
    if answer.draft:
        text = f"The help center suggests: {answer.draft}"
        sources = [asdict(c) for c in answer.draft_citations]
    elif answer.passages:
        best = answer.passages[0]
        text = f"No confident answer. Closest help-center material: {best.title}."
        sources = [asdict(c) for c in answer.related[:3]] or [
            asdict(Citation(1, best.document_id, best.title, best.url, "", best.kind, ""))
        ]
    else:
        text = "Nothing in the knowledge base matches this; it may be a content gap."
        sources = []
    return {"text": text, "sources": sources, "similar_cases": similar}


def next_steps(reasons: Sequence[str], intake: Intake, has_draft: bool) -> list[str]:
    steps = []
    if intake.missing:
        steps.append("Ask for: " + ", ".join(FIELDS[m].label.lower() for m in intake.missing) + ".")
    steps += [NEXT_STEPS[r] for r in reasons if r in NEXT_STEPS]
    if has_draft:
        steps.append("Check the draft reply against the cited sources, then send it.")
    return steps


def draft_reply(answer: Answer, reasons: Sequence[str]) -> str:
    grounded = bool(answer.draft) and not {"low_confidence", "out_of_scope"} & set(reasons)
    body = (
        answer.draft
        if grounded
        else "I'm looking into this now and will get back to you here as soon as I can."
    )
    sorry = "Sorry for the trouble, and thanks for your patience. " if "angry" in reasons else ""
    return (
        f"Hi,\n\n{sorry}I've read your conversation with our assistant, so there's no need "
        f"to repeat anything.\n\n{body}"
    )


def extractive(inp: SummaryInput) -> dict[str, Any]:
    texts = _customer_texts(inp.transcript)
    answer = inp.answer
    return {
        "customer": asdict(inp.customer),
        "channel": "chat",
        "issue": issue_line(_unanswered(inp.transcript) or texts),
        "category": inp.intake.category,
        "description": "\n".join(texts)[:2000],
        "tried": tried(inp),
        "suggested_articles": [
            {"title": c.title, "url": c.url, "document_id": c.document_id}
            for m in inp.transcript
            if m.speaker == "assistant"
            for c in m.citations
        ],
        "diagnosis": diagnosis(answer),
        "next_steps": next_steps(inp.reasons, inp.intake, bool(answer.draft)),
        "draft_reply": draft_reply(answer, inp.reasons),
        "sentiment": sentiment(inp),
        "priority": asdict(inp.priority),
        "handoff_reasons": list(inp.reasons),
        "explanation": inp.explanation,
        "confidence": answer.confidence,
        "fields": labelled(inp.intake.found),
        "missing": [FIELDS[m].label for m in inp.intake.missing],
        "transcript": [
            {"speaker": m.speaker, "text": m.text, "created_at": m.created_at.isoformat()}
            for m in inp.transcript
            if m.speaker != "note"
        ],
        "written_by": "extractive",
    }


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


def written(inp: SummaryInput, model: ChatModel, max_tokens: int = 400) -> dict[str, Any]:
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
    fields = _parse(reply)
    sources = _sources(inp)
    kept = []
    for key, target in (("issue", "issue"), ("diagnosis", "diagnosis"), ("reply", "draft_reply")):
        value = fields.get(key, "")
        if not value or untraceable(value, sources):
            continue
        if target == "diagnosis":
            summary["diagnosis"] = {**summary["diagnosis"], "text": value}
        else:
            summary[target] = value
        kept.append(target)
    if kept:
        summary["written_by"] = f"{model.name} ({', '.join(kept)}; checked against the sources)"
    return summary


def summarize(inp: SummaryInput, model: ChatModel | None) -> dict[str, Any]:
    """The LLM writes the prose when one is configured; otherwise the extractive summariser."""
    return extractive(inp) if model is None else written(inp, model)


def unavailable(customer: Customer, transcript: Sequence[StoredMessage]) -> dict[str, Any]:
    """The summary when the assistant itself failed: only what is known without it — who, the
    customer's words, and why no diagnosis was written."""
    texts = _customer_texts(transcript)
    reason = "backend_unavailable"
    return {
        "customer": asdict(customer),
        "channel": "chat",
        "issue": issue_line(texts) or "Customer question",
        "category": "general",
        "description": "\n".join(texts)[:2000],
        "tried": [],
        "suggested_articles": [],
        "diagnosis": {
            "text": "Not diagnosed: the assistant's answer service failed or timed out.",
            "sources": [],
            "similar_cases": [],
        },
        "next_steps": [NEXT_STEPS[reason]],
        "draft_reply": "",
        "sentiment": {"label": "unknown", "score": None, "trajectory": [], "trend": "steady"},
        "priority": {"score": 0.5, "label": "normal", "why": ["the assistant was unavailable"]},
        "handoff_reasons": [reason],
        "explanation": "the answer service is unavailable",
        "confidence": None,
        "fields": {},
        "missing": [],
        "transcript": [
            {"speaker": m.speaker, "text": m.text, "created_at": m.created_at.isoformat()}
            for m in transcript
            if m.speaker != "note"
        ],
        "written_by": "fallback",
    }

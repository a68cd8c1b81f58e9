"""Which announced incident a customer's message is about, and how the reply says so first.

A message is about an active incident when it reports a problem (`reports_problem`) in an
affected product area (the best-matching article's, or the page's the widget sits on), or
when it reads like the incident itself: closer in meaning to the incident's title than to
anything in the help center, and close in absolute terms too. The second test adapts to each
knowledge base: a how-to question ("how do I send an invoice?") sits nearer its article than
an incident about invoice e-mails, so it is answered as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from assistant.handoff.intake import reports_problem
from assistant.store.incidents import Incident

# Cosine similarity (bundled MiniLM) below which an incident's title and a message are about
# different things, whatever the help center holds: a paraphrased report of the incident
# scores 0.5-0.7, an unrelated product question below 0.35.
SIMILAR = 0.5
INCIDENT_TAG = "incident:{id}"


@dataclass(frozen=True)
class Evidence:
    """What the turn knows about the message, for matching it to incidents."""

    text: str
    areas: frozenset[str]  # product areas the message is in (best article's, the page's)
    similarity: Sequence[float]  # to each incident's description, in the incidents' order
    best_article: float  # similarity to the nearest help-center passage


def description(incident: Incident) -> str:
    """The text a message is compared with: the title, and the areas in words."""
    areas = ", ".join(incident.areas)
    return f"{incident.title} ({areas})" if areas else incident.title


def affecting(incidents: Sequence[Incident], evidence: Evidence) -> Incident | None:
    """The active incident the message is about (the closest when several are), or None."""
    problem = reports_problem(evidence.text)
    matches = []
    for incident, similarity in zip(incidents, evidence.similarity, strict=True):
        if not incident.active:
            continue
        in_area = problem and bool(evidence.areas & set(incident.areas))
        alike = similarity >= SIMILAR and (problem or similarity > evidence.best_article)
        if in_area or alike:
            matches.append((similarity, incident))
    return max(matches, key=lambda m: m[0])[1] if matches else None


def notice(incident: Incident, now: datetime) -> str:
    """The reply's first paragraph: what we know, as of when."""
    latest = incident.latest
    when = latest.created_at
    stamp = when.strftime("%H:%M UTC" if when.date() == now.date() else "%d %b %H:%M UTC")
    message = latest.message.rstrip()
    if message and message[-1] not in ".!?":
        message += "."
    return (
        f"Known issue ({incident.status}): {incident.title}. {message} (updated {stamp}) "
        "Follow it on our status page."
    )


def tag_of(incident: Incident) -> str:
    return INCIDENT_TAG.format(id=incident.id)

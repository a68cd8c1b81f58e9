"""Which announced incident a customer's message is about, and the notice that opens the reply.

The evidence is built by hand here (similarities as the bundled embedder gives them);
`test_turn.py` runs the same rules through a real turn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assistant.known_issues import Evidence, affecting, description, notice, tag_of
from assistant.store.incidents import Incident, IncidentUpdate

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def incident(
    id: int = 1, title: str = "Bank feeds delayed", areas: tuple[str, ...] = ("banking",),
    status: str = "investigating", message: str = "We are looking into it", at: datetime = NOW,
) -> Incident:  # fmt: skip
    update = IncidentUpdate(status, message, "ops", at)  # type: ignore[arg-type]
    return Incident(id, title, areas, status, at, at, None, (update,))  # type: ignore[arg-type]


def evidence(text: str, areas: set[str], similarity: list[float], best: float) -> Evidence:
    return Evidence(text, frozenset(areas), similarity, best)


def test_a_problem_reported_in_an_affected_area_is_about_the_incident() -> None:
    bank = incident()
    said = evidence("My bank feed stopped syncing this morning", {"banking"}, [0.3], 0.8)
    assert affecting([bank], said) is bank


def test_a_how_to_question_in_the_affected_area_is_answered_as_usual() -> None:
    said = evidence("How do I connect a bank account?", {"banking"}, [0.32], 0.7)
    assert affecting([incident()], said) is None


def test_a_message_that_reads_like_the_incident_matches_outside_its_areas() -> None:
    mails = incident(title="Invoice emails not delivered", areas=("invoicing",))
    report = evidence("my clients never got the invoices I sent", set(), [0.71], 0.6)
    assert affecting([mails], report) is mails
    # Without a problem reported, only when nearer the incident than any article.
    question = evidence("What does the invoice email look like?", set(), [0.55], 0.45)
    assert affecting([mails], question) is mails
    how_to = evidence("How do I send an invoice?", set(), [0.62], 0.75)
    assert affecting([mails], how_to) is None


def test_a_distant_message_never_matches_however_weak_the_help_center() -> None:
    said = evidence("what is your refund policy", set(), [0.13], 0.1)
    assert affecting([incident()], said) is None


def test_resolved_incidents_never_match_and_the_closest_active_one_wins() -> None:
    over = incident(id=1, status="resolved")
    feeds = incident(id=2)
    sync = incident(id=3, title="Bank sync errors", areas=("banking",))
    said = evidence("bank sync errors since today", {"banking"}, [0.9, 0.5, 0.7], 0.4)
    assert affecting([over, feeds, sync], said) is sync
    assert affecting([over], evidence("bank sync errors", {"banking"}, [0.9], 0.4)) is None


def test_the_notice_says_status_title_latest_update_and_when() -> None:
    text = notice(incident(message="Our bank-data provider is restoring feeds"), NOW)
    assert text.startswith("Known issue (investigating): Bank feeds delayed. ")
    assert "restoring feeds. (updated 15:00 UTC)" in text and "status page" in text
    yesterday = notice(incident(at=NOW - timedelta(days=1)), NOW)
    assert "(updated 03 Dec 15:00 UTC)" in yesterday


def test_the_description_names_the_areas_and_the_tag_the_incident() -> None:
    assert description(incident()) == "Bank feeds delayed (banking)"
    assert description(incident(areas=())) == "Bank feeds delayed"
    assert tag_of(incident(id=7)) == "incident:7"

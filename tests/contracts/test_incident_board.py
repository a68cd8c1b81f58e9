"""The incident board of the case store, on SQLite and PostgreSQL: opened with a first update,
updated with timed messages until resolved, listed active first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assistant.errors import ErrorCode
from assistant.store import SqlCaseStore
from tests.contracts.helpers import Clock, refused


def test_an_incident_opens_with_its_first_update_and_is_active(store: SqlCaseStore) -> None:
    opened = store.open_incident(
        " Bank feeds delayed ", ["Banking", "banking", " api "], "investigating",
        "Feeds from some banks are late.", "ops-admin",
    )  # fmt: skip
    assert opened.title == "Bank feeds delayed" and opened.areas == ("banking", "api")
    assert opened.active and opened.status == "investigating" and opened.resolved_at is None
    assert [(u.status, u.message, u.author) for u in opened.updates] == [
        ("investigating", "Feeds from some banks are late.", "ops-admin")
    ]
    assert opened.started_at == opened.updated_at == opened.latest.created_at
    assert store.incident(opened.id) == opened
    assert store.active_incidents() == [opened]


def test_updates_are_timed_newest_first_and_resolving_closes_it(
    store: SqlCaseStore, clock: Clock
) -> None:
    incident = store.open_incident("Exports slow", ["reports"], "investigating", "Looking.", "a")
    clock.advance(minutes=20)
    store.update_incident(incident.id, "identified", "A stuck queue.", "b")
    clock.advance(minutes=40)
    resolved = store.update_incident(incident.id, "resolved", "Fixed; exports run.", "a")
    assert [u.status for u in resolved.updates] == ["resolved", "identified", "investigating"]
    assert resolved.status == "resolved" and not resolved.active
    assert resolved.resolved_at == resolved.updated_at == resolved.latest.created_at
    assert resolved.resolved_at - resolved.started_at >= timedelta(hours=1)
    assert store.active_incidents() == []
    message = refused(
        ErrorCode.CONFLICT,
        lambda: store.update_incident(incident.id, "monitoring", "Again?", "a"),
        "resolved", "new incident",
    )  # fmt: skip
    assert str(incident.id) in message
    assert len(store.incident(incident.id).updates) == 3  # the refused update left nothing


def test_active_incidents_come_first_and_old_resolved_ones_can_be_left_out(
    store: SqlCaseStore, clock: Clock
) -> None:
    old = store.open_incident("Old outage", [], "identified", "Down.", "a")
    store.update_incident(old.id, "resolved", "Back.", "a")
    clock.advance(days=10)
    recent = store.open_incident("Login errors", ["account"], "investigating", "Seen.", "a")
    store.update_incident(recent.id, "resolved", "Fixed.", "a")
    first = store.open_incident("Invoices late", ["invoicing"], "investigating", "Seen.", "a")
    second = store.open_incident("Mobile crash", ["mobile"], "monitoring", "Patched.", "a")
    listed = [i.id for i in store.incidents()]
    assert listed == [second.id, first.id, recent.id, old.id]
    since = clock.now - timedelta(days=7)
    assert [i.id for i in store.incidents(resolved_since=since)] == [second.id, first.id, recent.id]
    assert [i.id for i in store.active_incidents()] == [second.id, first.id]
    assert [i.id for i in store.incidents(limit=1)] == [second.id]


@pytest.mark.parametrize(
    ("title", "areas", "status", "message", "fragment"),
    [
        ("", [], "investigating", "m", "title"),
        ("x" * 201, [], "investigating", "m", "title"),
        ("t", [], "investigating", "  ", "message"),
        ("t", [], "resolved", "m", "investigating, identified, monitoring"),
        ("t", [], "on fire", "m", "status"),
        ("t", ["<script>"], "investigating", "m", "areas"),
        ("t", [f"a{i}" for i in range(21)], "investigating", "m", "20"),
    ],
)
def test_a_malformed_incident_is_refused_and_nothing_is_stored(
    store: SqlCaseStore, title: str, areas: list[str], status: str, message: str, fragment: str
) -> None:
    refused(
        ErrorCode.INVALID_INPUT,
        lambda: store.open_incident(title, areas, status, message, "a"),
        fragment,
    )
    assert store.incidents() == []


def test_an_unknown_incident_is_not_found(store: SqlCaseStore) -> None:
    refused(ErrorCode.NOT_FOUND, lambda: store.incident(99), "99")
    refused(ErrorCode.NOT_FOUND, lambda: store.update_incident(99, "resolved", "m", "a"), "99")

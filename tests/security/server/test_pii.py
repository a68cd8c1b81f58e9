"""Issue 12, item 3: PII typed into a chat is never stored, shown to anyone, logged or indexed.

`corpus/pii.yaml` is played through the real app (customer, agent and admin routes): card
numbers, passwords, API keys, IBANs, an SSN and a customer who introduces herself. Then every
place the words could reach is read back: every column of every table, the API's answers to the
customer and the agents (the queue shows case titles), the three exports in both formats, the
resolved case approved and exported for ingestion and the search index built from it, and every
log record.
None may hold any of the corpus's `raw` strings.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text

from assistant.ports import Embedder
from assistant.settings import Settings
from ingest.sync import Indexer
from server import logs
from server.logs import RedactingFilter, redact_log_text
from tests.server.helpers import Headers, say, start, store

CORPUS: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[1] / "corpus" / "pii.yaml").read_text(encoding="utf-8")
)
_SEPARATORS = re.compile(r"[\s-]+")


def _leaks(haystack: str) -> list[str]:
    """The corpus's raw strings in `haystack`, as written or reformatted (case, spaces, dashes);
    the account email may stay (the surname in it is not a leak)."""
    folded = haystack.casefold().replace(CORPUS["account"].casefold(), "<account>")
    compact = _SEPARATORS.sub("", folded)
    found = []
    for raw in CORPUS["raw"]:
        needle = raw.casefold()
        bare = _SEPARATORS.sub("", needle)
        if needle in folded or (len(bare) >= 8 and bare in compact):
            found.append(raw)
    return found


def _database(engine: Engine) -> str:
    """Every value of every table (JSON columns as their stored text)."""
    values = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                values += [str(value) for value in row]
    return "\n".join(values)


def _files(root: Path) -> str:
    return "\n".join(
        path.read_bytes().decode("utf-8", "replace") for path in root.rglob("*") if path.is_file()
    )


def _ok(response: Any) -> str:
    assert response.status_code < 300, response.text
    return str(response.text)


def test_a_conversation_full_of_pii_leaves_none_of_it_anywhere(
    client: TestClient,
    agent: Headers,
    admin: Headers,
    caplog: pytest.LogCaptureFixture,
    embedder: Embedder,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.INFO)
    seen: dict[str, str] = {}
    chat = start(client, email=CORPUS["account"], plan="pro")
    turns = [say(client, chat, message) for message in CORPUS["customer"]]
    seen["replies to the customer"] = str(turns)
    case_id = next(t["handoff"]["case_id"] for t in turns if t.get("handoff"))
    feedback = {"helpful": False, "comment": CORPUS["feedback"]}
    _ok(client.post(chat.url("/feedback"), json=feedback, headers=chat.headers))
    seen["queue"] = _ok(client.get("/v1/agent/cases", headers=agent))
    assert f'"id":{case_id}' in seen["queue"]

    case = f"/v1/agent/cases/{case_id}"
    _ok(client.post(f"{case}/claim", headers=agent))
    _ok(client.post(f"{case}/reply", json={"text": CORPUS["agent"]["reply"]}, headers=agent))
    _ok(client.post(f"{case}/notes", json={"text": CORPUS["agent"]["note"]}, headers=agent))
    seen["case"] = _ok(client.get(case, headers=agent))
    resolution = {"resolution": CORPUS["agent"]["resolution"]}
    _ok(client.post(f"{case}/resolve", json=resolution, headers=agent))
    _ok(client.post(f"{case}/kb/propose", headers=agent))
    seen["knowledge-base review"] = _ok(client.get("/v1/admin/kb/candidates", headers=admin))
    approve = f"/v1/admin/kb/cases/{case_id}/approve"
    seen["knowledge-base approval"] = _ok(client.post(approve, headers=admin))
    seen["conversation"] = _ok(client.get(chat.url(), headers=chat.headers))
    for kind in ("conversations", "cases", "feedback"):
        for fmt in ("jsonl", "csv"):
            url = f"/v1/admin/export/{kind}?format={fmt}"
            seen[f"export {kind} {fmt}"] = _ok(client.get(url, headers=admin))

    desk_store = store(client)
    seen["database"] = _database(desk_store.engine)
    kb = tmp_path / "kb"
    (kb / "cases").mkdir(parents=True)
    exported = _ok(client.get("/v1/admin/kb/export", headers=admin))
    (kb / "cases" / "answerdesk.jsonl").write_text(exported, encoding="utf-8")
    seen["case export for ingest"] = _files(kb)
    settings = Settings(data_dir=tmp_path / "index", sources=[kb], self_calibrate=False)
    indexer = Indexer(settings, embedder)
    try:
        assert indexer.sync().added == 1
    finally:
        indexer.close()
    seen["search index"] = _files(settings.index_dir)

    # A careless log line with a customer's words, and an erasure request in an access log.
    logging.getLogger("answerdesk.server").warning("customer wrote: %s", CORPUS["customer"][0])
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:50312",
        "DELETE",
        "/v1/admin/customers?email=maria.kowalska%40bakery.example",
        "1.1",
        204,
    )
    records = caplog.get_records("setup") + caplog.get_records("call")
    formatter = logging.Formatter("%(name)s %(message)s")
    seen["logs"] = "\n".join(formatter.format(record) for record in records)

    leaks = {where: found for where, haystack in seen.items() if (found := _leaks(haystack))}
    assert leaks == {}
    assert CORPUS["account"] in seen["database"]  # the account's own email stays
    assert "[CARD]" in seen["case"] and "[SECRET]" in seen["export conversations csv"]
    assert "customers?email=[EMAIL]" in seen["logs"] and "127.0.0.1:50312" in seen["logs"]


def test_log_redaction_keeps_records_formattable() -> None:
    record = logging.LogRecord(
        "answerdesk.server", logging.ERROR, __file__, 1, "turn %d failed for %s: %r", None, None
    )
    record.args = (3, "card 4111 1111 1111 1111", ValueError("pw: Tr0ub4dor&3"))
    try:
        raise RuntimeError("my password is Hunter2-Secret!")
    except RuntimeError as error:
        record.exc_info = (RuntimeError, error, error.__traceback__)
    assert RedactingFilter().filter(record) is True
    formatted = logging.Formatter("%(message)s").format(record)
    assert formatted.startswith("turn 3 failed for card [CARD]: 'pw: [SECRET]'")
    assert "my password is [SECRET]" in formatted and "Hunter2" not in formatted


def test_log_redaction_remembers_only_clean_texts() -> None:
    """The access log repeats itself, so clean short texts are remembered; a text holding
    something to redact is redacted every time, and never kept."""
    clean, dirty = "POST /v1/conversations/abc123/messages", "mail maria@bakery.example"
    for _ in range(2):
        assert redact_log_text(clean) == clean
        assert redact_log_text(dirty) == "mail [EMAIL]"
    assert clean in logs._CLEAN and dirty not in logs._CLEAN
    encoded = "/v1/admin/customers?email=maria%40bakery.example"  # decoded later, by the filter
    assert redact_log_text(encoded) == encoded and encoded not in logs._CLEAN

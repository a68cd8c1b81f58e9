"""No raw PII from the sample cases reaches anything the index stores."""

from __future__ import annotations

import json
import sqlite3

from assistant.backends import make_vector_index
from assistant.settings import Settings
from assistant.types import Document
from ingest.sync import SyncReport, redact_document
from tests.conftest import FIXTURES


def inventory() -> dict[str, list[str]]:
    """Every fake PII string planted in the sample cases, by case id."""
    found: dict[str, list[str]] = {}
    for name in ("pii_inventory.json", "pii_inventory_jsonl.json"):
        for cases in json.loads((FIXTURES / name).read_text()).values():
            found.update(cases)
    return found


def test_no_planted_pii_is_stored_or_indexed(sample_index: tuple[Settings, SyncReport]) -> None:
    settings, _ = sample_index
    with sqlite3.connect(settings.index_dir / "manifest.sqlite3") as db:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        stored = {
            doc_id.split(":", 1)[1]: "\n".join([title, text, metadata]).lower()
            for doc_id, title, text, metadata in db.execute(
                "SELECT id, title, text, metadata FROM documents WHERE kind = 'case'"
            )
        }
        for doc_id, text, metadata in db.execute(
            "SELECT document_id, text, metadata FROM chunks WHERE document_id LIKE 'case:%'"
        ):  # the metadata holds the resolution that answers quote
            stored[doc_id.split(":", 1)[1]] += "\n" + text.lower() + "\n" + metadata.lower()
    vectors = make_vector_index(settings, meta["collection"])
    case_chunks = vectors._collection.get(where={"kind": "case"}, include=["documents"])  # type: ignore[attr-defined]
    indexed = " ".join(case_chunks["documents"]).lower()  # articles may use example addresses
    keyword_files = " ".join(
        p.read_text(errors="ignore").lower()
        for p in (settings.index_dir / meta["keyword_dir"]).glob("*.json*")
    )
    planted = inventory()
    assert len(planted) >= 150 and sum(map(len, planted.values())) >= 500
    leaks = [
        (case_id, item)
        for case_id, items in planted.items()
        for item in items
        if item.lower() in stored.get(case_id, "") or item.lower() in indexed
    ]
    assert leaks == []
    for items in planted.values():
        for item in items:
            if "@" in item:  # whole addresses never become keyword-index vocabulary
                assert item.lower() not in keyword_files
    assert "[email]" in indexed and "[name]" in indexed and "[card]" in indexed


def test_the_resolution_field_is_redacted_like_the_text() -> None:
    case = Document(
        id="case:1",
        kind="case",
        title="Card declined",
        text="## Problem\n\nCard declined\n\n## Resolution\n\nMaria Lopez re-entered the card.\n",
        metadata={"resolution": "Maria Lopez re-entered 4111 1111 1111 1111 under Billing."},
        redact_names=("Maria Lopez",),
    )
    resolution = str(redact_document(case).metadata["resolution"])
    assert "Maria" not in resolution and "4111" not in resolution
    assert resolution.endswith("under Billing.") and "[NAME]" in resolution

"""The admin console, in Chromium: a re-index that would make answers worse is held back by the
golden set, shown side by side with the live index, and discarded."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.conftest import SAMPLE_KB, free_port, serve
from tests.e2e.conftest import ANSWERDESK, KEY, Pages, _answerdesk

GOLDEN_CASES = 40  # enough to see a help center that lost its articles


@pytest.fixture(scope="module")
def damaged_server(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, e2e_index: Path
) -> Iterator[tuple[str, str]]:
    """`answerdesk serve` over the indexed sample, whose sources have since lost every article
    and FAQ; its golden set gates re-indexing. Yields (url, admin key)."""
    home = tmp_path_factory.mktemp("admin-e2e")
    shutil.copytree(e2e_index, home / "data", ignore=shutil.ignore_patterns("answerdesk.sqlite3*"))
    kb = home / "kb"
    shutil.copytree(SAMPLE_KB, kb, ignore=shutil.ignore_patterns("articles", "faqs"))
    golden = yaml.safe_load((SAMPLE_KB / "golden.yaml").read_text(encoding="utf-8"))
    golden["cases"] = golden["cases"][:GOLDEN_CASES]
    (home / "golden.yaml").write_text(yaml.safe_dump(golden), encoding="utf-8")
    env = {
        "ANSWERDESK_DATA_DIR": str(home / "data"),
        "ANSWERDESK_SOURCES": json.dumps([str(kb)]),
        "ANSWERDESK_GOLDEN_SET": str(home / "golden.yaml"),
        "ANSWERDESK_SELF_CALIBRATE": "false",
    }
    printed = _answerdesk("keys", "create", "e2e-admin", "--role", "admin", env=env, cwd=home)
    found = KEY.search(printed)
    assert found, printed
    port = free_port()
    command = [ANSWERDESK, "serve", "--host", "127.0.0.1", "--port", str(port)]
    servers = serve(tmp_path_factory, "answerdesk-admin", command, f"http://127.0.0.1:{port}",
                    "/readyz", 120)  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("ANSWERDESK_"):
                patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        patch.chdir(home)
        url = next(servers)
    try:
        yield url, found.group(0)
    finally:
        servers.close()


def test_a_gated_reindex_is_held_back_shown_and_discarded(
    pages: Pages, damaged_server: tuple[str, str], shot: Callable[[Page, str], Path]
) -> None:
    url, admin_key = damaged_server
    pages.allow(r"404 .*/v1/admin/reindex/candidate")  # asked while none is waiting
    page = pages.open(f"{url}/admin")
    page.get_by_label("Admin API key").fill(admin_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Re-index the knowledge base")).to_be_visible()

    page.get_by_role("button", name="Re-index now").click()
    expect(page.locator("#job-status")).to_have_text(
        "Done: held back by the golden set.", timeout=300_000
    )
    candidate = page.locator("#candidate")
    expect(candidate).to_be_visible()
    expect(candidate).to_contain_text("the live index is unchanged")
    expect(page.locator("#comparison-body tr.regressed").first).to_be_visible()
    expect(page.locator("#history-body tr").first).to_contain_text("held")
    shot(page, "admin-reindex-held")

    page.get_by_role("button", name="Discard").click()
    expect(page.locator("#job-status")).to_have_text("Discarded: the live index is unchanged.")
    expect(candidate).to_be_hidden()
    expect(page.locator("#history-body tr").first).to_contain_text("discarded")
    shot(page, "admin-reindex-discarded")

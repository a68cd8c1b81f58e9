"""The admin console, in Chromium: a re-index that would make answers worse is held back by the
golden set, shown side by side with the live index, and discarded; the dashboard shows the
figures the API computes over a generated support history, an empty range without NaN or
null, and downloads each table as CSV."""

from __future__ import annotations

import csv
import json
import math
import shutil
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Page, expect

from assistant.settings import Settings
from assistant.store import make_engine, upgrade
from benchmarks.history import generate
from evals.runs import record_run
from tests.conftest import SAMPLE_KB
from tests.e2e.conftest import KEY, PHONE, Pages, _answerdesk, answerdesk_serve

GOLDEN_CASES = 40  # enough to see a help center that lost its articles
HISTORY = 400  # generated conversations over the 60 days before now
ALLOWED_404 = r"404 .*/v1/admin/reindex/candidate"  # asked while none is waiting
HIGHER_IS_BETTER = {
    "self_service": True,
    "first_contact_resolution": True,
    "complete_at_handoff": True,
    "handoff": False,
}


def _admin_server(
    tmp_path_factory: pytest.TempPathFactory,
    home: Path,
    env: dict[str, str],
    seed: Callable[[Path], None] | None = None,
) -> Iterator[tuple[str, str]]:
    """An admin key, then `answerdesk serve` over `home`, after `seed(database file)` when
    given. Yields (url, admin key)."""
    printed = _answerdesk("keys", "create", "e2e-admin", "--role", "admin", env=env, cwd=home)
    found = KEY.search(printed)
    assert found, printed
    if seed:
        seed(Path(env["ANSWERDESK_DATA_DIR"]) / "answerdesk.sqlite3")
    for url in answerdesk_serve(tmp_path_factory, home, env, f"answerdesk-{home.name}"):
        yield url, found.group(0)


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
    yield from _admin_server(tmp_path_factory, home, env)


@pytest.fixture(scope="module")
def history_server(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, e2e_index: Path
) -> Iterator[tuple[str, str]]:
    """`answerdesk serve` over the indexed sample, its store holding a generated support history
    (benchmarks/history.py: hand-offs with reasons, SLAs, agents, CSAT) written before it
    starts. Yields (url, admin key)."""
    home = tmp_path_factory.mktemp("dashboard-e2e")
    shutil.copytree(e2e_index, home / "data", ignore=shutil.ignore_patterns("answerdesk.sqlite3*"))
    env = {
        "ANSWERDESK_DATA_DIR": str(home / "data"),
        "ANSWERDESK_SOURCES": json.dumps([str(SAMPLE_KB)]),
    }

    def seed(database: Path) -> None:
        engine = make_engine(f"sqlite:///{database}")
        try:
            upgrade(engine)  # `keys create` made it; a no-op
            generate(engine, HISTORY, datetime.now(UTC))
            _eval_run(database.parent)
        finally:
            engine.dispose()

    yield from _admin_server(tmp_path_factory, home, env, seed)


REPORT_MARK = "golden run report for the console test"


def _eval_run(data_dir: Path) -> None:
    """One recorded `answerdesk eval` run with its report, as the CLI writes them."""
    settings = Settings(data_dir=data_dir)
    report = data_dir / "eval-runs" / "0123456789ab"
    report.mkdir(parents=True)
    (report / "report.html").write_text(f"<html><body>{REPORT_MARK}</body></html>")
    results = {"cases": 40, "metrics": {"self_service_rate": 0.7, "handoff_recall": 0.85}}
    record_run(settings, "0123456789ab", Path("data/sample/golden.yaml"), results, [], report)


def _sign_in(page: Page, admin_key: str) -> None:
    page.get_by_label("Admin API key").fill(admin_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_focused()


def test_a_gated_reindex_is_held_back_shown_and_discarded(
    pages: Pages, damaged_server: tuple[str, str], shot: Callable[[Page, str], Path]
) -> None:
    url, admin_key = damaged_server
    pages.allow(ALLOWED_404)
    page = pages.open(f"{url}/admin")
    _sign_in(page, admin_key)
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


# ---------------------------------------------------------------------- the dashboard


def _dashboard(url: str, admin_key: str, since: date, until: date) -> Any:
    """GET /v1/admin/dashboard as the test's own reference for what the page shows."""
    request = urllib.request.Request(
        f"{url}/v1/admin/dashboard?since={since}&until={until}",
        headers={"X-API-Key": admin_key, "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _round(x: float) -> int:
    """JavaScript's Math.round, for the non-negative figures shown."""
    return math.floor(x + 0.5)


def _shown(unit: str, value: float | None) -> str:
    """A figure as dashboard.js writes it: shares as %, seconds as h/min/s, counts plain."""
    if value is None:
        return "—"
    if unit == "share":
        p = value * 100
        return f"{_round(p * 10) / 10:.1f} %" if 0 < p < 10 else f"{_round(p)} %"
    if unit == "count":
        return str(_round(value))
    if _round(value) < 60:
        return f"{_round(value)} s"
    minutes = _round(value / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _basis(figure: dict[str, Any]) -> str | None:
    if figure["unit"] == "share":
        return (
            f"{figure['count']} of {figure['total']}" if figure["total"] else "none in this range"
        )
    if figure["unit"] == "seconds":
        n = figure["count"]
        return f"over {n} case{'' if n == 1 else 's'}" if n else "no cases in this range"
    return None


def _verdict(figure: dict[str, Any]) -> str | None:
    higher_is_better = HIGHER_IS_BETTER.get(figure["key"])
    value, reference = figure["value"], figure["reference"]
    if higher_is_better is None or value is None or reference is None:
        return None
    if value == reference:
        return "at the reference"
    above = value > reference
    return f"{'above' if above else 'below'}, {'better' if above == higher_is_better else 'worse'}"


def _apply(page: Page, since: date, until: date) -> None:
    page.get_by_label("From", exact=True).fill(since.isoformat())
    page.get_by_label("To (included)", exact=True).fill(until.isoformat())
    page.get_by_role("button", name="Apply").click()


def _check_headline(page: Page, board: dict[str, Any]) -> None:
    """Every headline card shows the label, value, basis, reference and definition of the
    API's figure: the same numbers, formatted."""
    expect(page.locator("#cards > li")).to_have_count(len(board["headline"]))
    for figure in board["headline"]:
        card = page.locator(f'#cards > li[data-key="{figure["key"]}"]')
        expect(card.locator(".stat-label")).to_have_text(figure["label"])
        expect(card.locator(".stat-value")).to_have_text(_shown(figure["unit"], figure["value"]))
        expect(card.locator(".stat-def")).to_have_text(figure["definition"])
        basis = _basis(figure)
        if basis is None:
            expect(card.locator(".stat-basis")).to_have_count(0)
        else:
            expect(card.locator(".stat-basis")).to_have_text(basis)
        if figure["wall_clock"] is None:
            expect(card.locator(".stat-clock")).to_have_count(0)
        else:  # a time within support hours, and the same on the wall clock
            clock = f"{_shown('seconds', figure['wall_clock'])} on the clock"
            expect(card.locator(".stat-clock")).to_have_text(clock)
        if figure["reference"] is None:
            expect(card.locator(".stat-ref")).to_have_count(0)
        else:
            expect(card.locator(".stat-ref")).to_contain_text(figure["reference_label"])
        verdict = _verdict(figure)
        if verdict is None:
            expect(card.locator(".verdict")).to_have_count(0)
        else:
            expect(card.locator(".verdict")).to_contain_text(verdict)


def _check_download(page: Page, button: str, name: str) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    download = info.value
    assert download.suggested_filename == name
    assert download.failure() is None
    with open(download.path(), encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_the_dashboard_shows_the_apis_figures_empty_ranges_and_csv_downloads(
    pages: Pages, history_server: tuple[str, str], shot: Callable[[Page, str], Path]
) -> None:
    url, admin_key = history_server
    pages.allow(ALLOWED_404)
    pages.allow(r"400 .*/v1/admin/dashboard")  # the range too long, on purpose
    today = datetime.now(UTC).date()
    since, until = today - timedelta(days=44), today - timedelta(days=5)
    board = _dashboard(url, admin_key, since, until)
    assert board["conversations"] > 50, "the generated history is in the range"
    assert board["handoff_by_reason"] and board["agents"] and board["csat_by_queue"]

    page = pages.open(f"{url}/admin")
    _sign_in(page, admin_key)
    dashboard = page.locator("#dashboard")
    last_day = page.get_by_label("To (included)", exact=True)
    expect(last_day).to_have_value(today.isoformat())  # the last 30 days by default
    expect(page.get_by_role("button", name="Last 30 days")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert (
        dashboard.evaluate("(el) => el.compareDocumentPosition(document.getElementById('reindex'))")
        & 4
    )

    _apply(page, since, until)
    expect(page.locator("#dash-range")).to_contain_text(f"{board['conversations']} conversations")
    expect(page.get_by_role("button", name="Last 30 days")).to_have_attribute(
        "aria-pressed", "false"
    )
    _check_headline(page, board)
    expect(page.locator("#reasons > li")).to_have_count(len(board["handoff_by_reason"]))
    for reason, cases in board["handoff_by_reason"].items():
        share = _shown("share", cases / board["conversations"])
        label = reason.replace("_", " ").replace(":", ": ", 1)
        bar = page.locator("#reasons > li").filter(has_text=label)
        expect(bar).to_contain_text(f"{share} · {cases} case")
    expect(page.locator("#agents-body > tr")).to_have_count(len(board["agents"]))
    first = board["agents"][0]
    expect(page.locator("#agents-body > tr").first).to_have_text(
        f"{first['agent']}{first['claimed']}{first['resolved']}{first['replies']}"
    )
    expect(page.locator("#queue-body > tr")).to_have_count(len(board["csat_by_queue"]))
    expect(page.locator("#article-body > tr")).to_have_count(len(board["csat_by_article"]))
    trend = page.get_by_role("img", name="Conversations and self-service rate per day")
    expect(trend).to_be_visible()
    expect(trend.locator("rect.bar")).to_have_count((until - since).days + 1)  # empty days too
    expect(page.locator("#trend-body > tr")).to_have_count((until - since).days + 1)
    heatmap = page.get_by_role("img", name="SLA breaches by weekday and hour of arrival (UTC)")
    expect(heatmap.locator("g.cells > rect")).to_have_count(7 * 24)
    expect(page.locator("#hours-body > tr")).to_have_count(len(board["by_hour"]))
    shot(page, "admin-dashboard")
    page.locator("#trend-chart").scroll_into_view_if_needed()
    shot(page, "admin-dashboard-charts")
    page.locator("#queue-h").scroll_into_view_if_needed()
    shot(page, "admin-dashboard-tables")

    rows = _check_download(
        page, "Download CSV of the headline figures", f"answerdesk-headline-{since}-{until}.csv"
    )
    assert [r["key"] for r in rows] == [f["key"] for f in board["headline"]]
    for row, figure in zip(rows, board["headline"], strict=True):
        assert row["count"] == ("" if figure["count"] is None else str(figure["count"]))
        assert row["total"] == ("" if figure["total"] is None else str(figure["total"]))
    rows = _check_download(
        page, "Download CSV of the agent workload", f"answerdesk-agents-{since}-{until}.csv"
    )
    assert rows == [{k: str(v) for k, v in agent.items()} for agent in board["agents"]]

    # A range with no conversations: an empty state, no NaN, no null.
    empty_since, empty_until = date(2020, 1, 1), date(2020, 1, 31)
    _apply(page, empty_since, empty_until)
    expect(page.locator("#dash-empty")).to_be_visible()
    expect(page.locator("#dash-empty")).to_contain_text("No conversations from")
    expect(page.locator("#dash-range")).to_contain_text("0 conversations")
    _check_headline(page, _dashboard(url, admin_key, empty_since, empty_until))
    expect(page.locator("#trend-chart")).to_have_text(
        "No conversations in this range: nothing to chart."
    )
    expect(page.locator("#reasons")).to_have_text("No hand-offs in this range.")
    text = dashboard.inner_text()
    for bad in ("NaN", "null", "undefined", "Infinity"):
        assert bad not in text, f"{bad!r} on the dashboard of an empty range"
    shot(page, "admin-dashboard-empty")

    # A range the API refuses: its message, in the alert banner.
    _apply(page, date(2020, 1, 1), date(2022, 1, 1))
    expect(page.get_by_role("alert").filter(has_text="at most 366 days")).to_be_visible()
    _apply(page, until, since)  # backwards: caught before asking
    expect(page.get_by_role("alert").filter(has_text="must not be after")).to_be_visible()

    # A phone: the preset, the cards and charts fit the width (only a chart scrolls sideways).
    phone = pages.open(f"{url}/admin", viewport=PHONE)
    _sign_in(phone, admin_key)
    phone.get_by_role("button", name="Last 90 days").click()
    first_day = phone.get_by_label("From", exact=True)
    expect(first_day).to_have_value((today - timedelta(days=89)).isoformat())
    expect(phone.get_by_role("button", name="Last 90 days")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(phone.locator("#cards > li").first.locator(".stat-value")).not_to_have_text("—")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(phone, "admin-dashboard-phone")
    phone.locator("#cards > li").nth(3).scroll_into_view_if_needed()
    shot(phone, "admin-dashboard-phone-cards")


def test_evaluation_runs_are_listed_with_their_reports(
    pages: Pages, history_server: tuple[str, str], shot: Callable[[Page, str], Path]
) -> None:
    url, admin_key = history_server
    pages.allow(ALLOWED_404)
    page = pages.open(f"{url}/admin")
    _sign_in(page, admin_key)
    row = page.locator("#evals-body tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("sample/golden.yaml")
    expect(row).to_contain_text("0.700")
    expect(row).to_contain_text("0.850")
    row.scroll_into_view_if_needed()
    shot(page, "admin-eval-runs")
    with page.expect_download() as downloading:
        row.get_by_role("button", name="Download").click()
    download = downloading.value
    assert download.suggested_filename == "answerdesk-eval-0123456789ab.html"
    assert REPORT_MARK in Path(download.path()).read_text()

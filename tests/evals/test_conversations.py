"""Conversation scripts: the format's errors, the runner's verdicts, and every script as a test.

One test per script in `evals/data/conversations/` (named by its id), each on a fresh store
over the sample knowledge base, indexed once for the session.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.errors import AnswerdeskError
from assistant.service import SupportAssistant
from assistant.settings import Settings
from evals.conversations import (
    SCRIPTS,
    Expect,
    Script,
    Step,
    empty_store,
    load_file,
    load_scripts,
    run_script,
)
from ingest.loaders import load_sources
from ingest.sync import SyncReport
from server.cli import app
from tests.conftest import SAMPLE_KB

ALL = load_scripts(SCRIPTS)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield empty_store(tmp_path_factory.mktemp("conversations"))


def one(content: str, tmp_path: Path) -> list[Script]:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    return load_file(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("scripts: [unclosed\n", "not valid YAML"),
        (
            "scripts:\n  - id: a\n    description: d\n    turns:\n"
            "      - say: hi\n        expect: {action: reply}\n",
            r"scripts\[0\] \(id: a\)\.turns\.0\.expect\.action",
        ),
        (
            "scripts:\n  - id: a\n    description: d\n    turns:\n"
            "      - say: hi\n        expect: {action: answer, colour: red}\n",
            r"turns\.0\.expect\.colour",
        ),
        (
            "scripts:\n  - id: a\n    description: d\n    turns:\n"
            "      - say: hi\n        thumbs_down: true\n",
            "exactly one of `say`",
        ),
        (
            "scripts:\n  - id: a\n    description: d\n    turns:\n"
            "      - say: hi\n        expect: {action: answer, case: {priority: hot}}\n",
            r"expect\.case\.priority",
        ),
        (
            "scripts:\n  - id: a\n    turns:\n      - say: hi\n        expect: {action: answer}\n",
            r"scripts\[0\] \(id: a\)\.description",
        ),
        (
            "scripts:\n  - id: a\n    description: d\n    turns:\n      - say: hi\n",
            "at least one `expect`",
        ),
        ("scripts:\n  - id: a\n    description: d\n    turns:\n      - agent: resolve\n", "text"),
    ],
)
def test_a_malformed_script_is_refused_naming_the_file_and_field(
    tmp_path: Path, content: str, message: str
) -> None:
    with pytest.raises(AnswerdeskError, match=message) as error:
        one(content, tmp_path)
    assert str(tmp_path / "bad.yaml") in error.value.message


def test_script_ids_are_unique_across_files(tmp_path: Path) -> None:
    script = (
        "  - id: same\n    description: d\n    turns:\n"
        "      - say: hi\n        expect: {action: answer}\n"
    )
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("scripts:\n" + script)
    with pytest.raises(AnswerdeskError, match="duplicate script ids"):
        load_scripts(tmp_path)


def test_the_scripts_are_many_and_cover_every_trap() -> None:
    assert len(ALL) >= 40
    traps = [s for s in ALL if "trap" in s.tags]
    expects = [t.expect for s in traps for t in s.turns if t.expect]
    cases = [e.case for e in expects if e.case]
    assert any(e.no_repeated_intake for e in expects)
    assert any(e.offers_articles is False for e in expects)
    assert any("the customer" in e.not_contains for e in expects)
    assert any({"angry", "human_requested"} <= set(c.triggers) and c.min_priority for c in cases)
    assert any(c.issue_excludes for c in cases) and any(c.error_message for c in cases)
    assert any(c.draft_about or c.draft_excludes for c in cases)
    actions = {a for s in ALL for t in s.turns if t.expect for a in t.expect.actions}
    assert actions == {"answer", "clarify", "handoff", "waiting", "agent"}


def test_every_cited_source_exists_in_the_sample_knowledge_base() -> None:
    """A `cites` entry that matches no document would fail for the wrong reason."""
    documents = load_sources([SAMPLE_KB], 5_000_000).documents
    names = [f"{d.id} {d.title}".lower() for d in documents]
    for script in ALL:
        for turn in script.turns:
            for entry in turn.expect.cites if turn.expect else []:
                for needle in [entry] if isinstance(entry, str) else entry:
                    assert any(needle.lower() in n for n in names), (script.id, needle)


def test_a_missed_expectation_names_the_turn_and_what_the_desk_did(
    sample_assistant: SupportAssistant, template: Path
) -> None:
    wrong = Script(
        id="wrong-on-purpose",
        description="a how-to the help center answers, expected (wrongly) to be handed off",
        turns=[
            Step(say="How do I turn on two-factor authentication?", expect=Expect(action="handoff"))
        ],
    )
    result = run_script(sample_assistant, wrong, template)
    assert not result.passed
    (miss,) = result.misses
    assert miss.turn == 1 and miss.expectation == "action handoff" and miss.seen == "answer"
    assert miss.action == "answer" and "Profile → Security" in miss.reply


def test_eval_reports_the_conversation_pass_rate(
    sample_index: tuple[Settings, SyncReport],
) -> None:
    settings, _ = sample_index
    env = {
        "ANSWERDESK_DATA_DIR": str(settings.data_dir),
        "ANSWERDESK_SOURCES": json.dumps([str(p) for p in settings.sources]),
    }
    result = CliRunner().invoke(
        app,
        ["eval", str(SAMPLE_KB / "golden.yaml"), "--limit", "2", "--json", "--no-sync"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["conversations"]["scripts"] == 2
    assert data["metrics"]["conversation_pass_rate"] == data["conversations"]["pass_rate"]


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(
            s,
            marks=[pytest.mark.xfail(strict=False, reason=s.known_failure)] * bool(s.known_failure),
        )
        for s in ALL
    ],
    ids=[s.id for s in ALL],
)
def test_conversation(script: Script, sample_assistant: SupportAssistant, template: Path) -> None:
    result = run_script(sample_assistant, script, template)
    assert result.passed, f"{script.file}: {script.id}\n" + "\n".join(
        f"  {m}" for m in result.misses
    )

"""`answerdesk eval` on the command line: JSON out, external corpora, failing gate exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from assistant.settings import Settings
from ingest.sync import SyncReport
from server.cli import app
from tests.conftest import SAMPLE_KB

runner = CliRunner()


def env(settings: Settings) -> dict[str, str]:
    return {
        "ANSWERDESK_DATA_DIR": str(settings.data_dir),
        "ANSWERDESK_SOURCES": json.dumps([str(p) for p in settings.sources]),
    }


def test_eval_prints_results_json(sample_index: tuple[Settings, SyncReport]) -> None:
    settings, _ = sample_index
    result = runner.invoke(
        app,
        ["eval", str(SAMPLE_KB / "golden.yaml"), "--limit", "12", "--json", "--no-sync"],
        env=env(settings),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["cases"] == 12 and "recall_at_5" in data["metrics"]


def test_a_regression_beyond_tolerance_exits_non_zero(
    sample_index: tuple[Settings, SyncReport], tmp_path: Path
) -> None:
    settings, _ = sample_index
    impossible = tmp_path / "baseline.json"
    impossible.write_text(json.dumps({"metrics": {"recall_at_5": 1.5, "ece": -1.0}}))
    result = runner.invoke(
        app,
        [
            "eval",
            str(SAMPLE_KB / "golden.yaml"),
            "--limit",
            "12",
            "--no-sync",
            "--baseline",
            str(impossible),
        ],
        env=env(settings),
    )
    assert result.exit_code == 1
    assert "regression" in result.stderr and "recall_at_5" in result.stderr


def test_external_corpus_and_questions(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "id": "d1",
                    "title": "Resetting a router",
                    "text": "Hold the reset button for 10 "
                    "seconds until the light blinks, then wait two minutes for it to restart.",
                },
                {
                    "id": "d2",
                    "title": "Paying a bill",
                    "text": "Bills can be paid by card or bank "
                    "transfer from the Billing page; payments clear within three days.",
                },
            ]
        )
    )
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "id": "q1",
                    "question": "how long do I hold the reset button",
                    "gold_ids": ["d1"],
                    "answerable": True,
                },
                {
                    "id": "q2",
                    "question": "how can I pay my bill",
                    "gold_ids": ["d2"],
                    "answerable": True,
                },
                {
                    "id": "q3",
                    "question": "what is the capital of Peru",
                    "gold_ids": [],
                    "answerable": False,
                },
            ]
        )
    )
    result = runner.invoke(
        app,
        ["eval", "--corpus", str(corpus), "--questions", str(questions), "--json"],
        env={"ANSWERDESK_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)["metrics"]
    assert metrics["recall_at_1"] == 1.0
    assert metrics["unanswerable_handoff_rate"] is not None
    assert not (tmp_path / "data" / "index").exists()  # indexed in a temporary place


def test_calibrate_shows_the_calibration_the_index_answers_with(
    sample_index: tuple[Settings, SyncReport],
) -> None:
    settings, report = sample_index
    result = runner.invoke(app, ["calibrate", "--show", "--json"], env=env(settings))
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["version"] == report.calibration
    assert "self-calibrated" in shown["source"] and 0 < shown["threshold"] < 1


def test_a_golden_set_refines_the_calibration_and_the_refinement_is_kept(
    sample_index: tuple[Settings, SyncReport], tmp_path: Path
) -> None:
    settings, report = sample_index
    copy = settings.model_copy(update={"data_dir": tmp_path / "data"})
    shutil.copytree(settings.data_dir, copy.data_dir)  # never touch the shared index
    result = runner.invoke(
        app,
        ["eval", str(SAMPLE_KB / "golden.yaml"), "--calibrate", "--limit", "90", "--no-sync",
         "--json"],
        env=env(copy),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    fitted = json.loads(result.stdout)["calibration"]
    assert fitted["ece_held_out"] is not None
    shown = json.loads(runner.invoke(app, ["calibrate", "--show", "--json"], env=env(copy)).stdout)
    assert shown["version"] == fitted["version"] != report.calibration
    assert shown["source"].startswith("refined on 90 golden cases")
    assert shown["details"]["base"] == report.calibration  # refines the self-calibration


def test_every_eval_run_is_recorded_with_its_report_and_served_to_admins(
    sample_index: tuple[Settings, SyncReport], tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from evals.runs import eval_runs
    from server.app import create_app
    from tests.server.helpers import key

    settings = sample_index[0].model_copy(update={"data_dir": tmp_path / "data"})
    shutil.copytree(sample_index[0].index_dir, settings.index_dir)
    result = runner.invoke(
        app, ["eval", str(SAMPLE_KB / "golden.yaml"), "--limit", "8", "--no-sync"],
        env=env(settings),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (run,) = eval_runs(settings)
    assert run.cases == 8 and "recall_at_5" in run.metrics and run.regressions == []
    assert Path(run.report_dir).parent == settings.data_dir / "eval-runs"

    with TestClient(create_app(settings)) as client:
        admin, agent = key(client, "root", "admin"), key(client, "ana", "agent")
        listed = client.get("/v1/admin/evals", headers=admin).json()["runs"]
        assert [r["id"] for r in listed] == [run.id]
        report = client.get(f"/v1/admin/evals/{run.id}/report", headers=admin)
        assert report.status_code == 200 and "<html" in report.text.lower()
        assert "attachment" in report.headers["content-disposition"]
        assert (
            client.get("/v1/admin/evals/../../etc/passwd/report", headers=admin).status_code == 404
        )
        assert client.get("/v1/admin/evals/0123456789ab/report", headers=admin).status_code == 404
        assert client.get("/v1/admin/evals", headers=agent).status_code == 403

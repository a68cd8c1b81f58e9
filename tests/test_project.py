"""The project keeps its promises to a person with a fresh clone."""

from __future__ import annotations

import re
import subprocess
import tomllib

from assistant.settings import Settings
from tests.conftest import REPO


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"ANSWERDESK_{name.upper()}" in readme, f"README does not document {name}"


def test_readme_quick_start_is_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run" in quick_start and "make test" in quick_start


def test_ci_runs_exactly_the_readme_test_command() -> None:
    script = (REPO / ".ci" / "run").read_text()
    commands = [line for line in script.splitlines() if line and not line.startswith("#")]
    assert "make test" in commands


def test_make_help_lists_the_documented_targets() -> None:
    result = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True)
    listed = set(re.findall(r"^\s+(\S+)\s", result.stdout, re.M))
    assert {"setup", "run", "test", "lint", "ingest", "eval", "bench"} <= listed


def test_torch_is_pinned_to_the_cpu_build_these_machines_have() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "torch==2.13.0" in project["dependencies"]
    assert project["scripts"]["answerdesk"] == "server.cli:app"


def test_nothing_loads_a_model_from_a_hub() -> None:
    pattern = re.compile(r"SentenceTransformer\(['\"]|from_pretrained\(['\"][\w-]+/")
    for path in REPO.glob("*/**/*.py"):
        if ".venv" in path.parts:
            continue
        assert not pattern.search(path.read_text()), path


def test_no_module_of_the_product_runs_over_500_lines() -> None:
    # Small modules, each one job: the product's packages and the benchmarks (tests aside).
    packages = ("assistant", "ingest", "prompts", "evals", "server", "benchmarks")
    long = {
        str(path.relative_to(REPO)): lines
        for package in packages
        for path in (REPO / package).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert not long, f"modules over 500 lines: {long}"

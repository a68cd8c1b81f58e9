"""The golden question set: a documented YAML schema, validated with clear errors.

See data/sample/GOLDEN.md for the format a content owner writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import AnswerdeskError, ErrorCode

Expected = Literal["answer", "handoff", "clarify"]


class GoldenCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    question: str | None = None
    turns: list[str] | None = None
    expected_sources: list[str] = Field(default_factory=list)
    must_include: list[str] = Field(default_factory=list)
    must_not_include: list[str] = Field(default_factory=list)
    expected: Expected = "answer"
    reason: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_question(self) -> GoldenCase:
        if bool(self.question) == bool(self.turns):
            raise ValueError("give exactly one of `question` or `turns`")
        if self.expected == "handoff" and not self.reason:
            raise ValueError("a handoff case needs a `reason`")
        return self

    @property
    def messages(self) -> list[str]:
        """The customer's messages in order; the last one is evaluated."""
        return list(self.turns) if self.turns else [str(self.question)]

    @property
    def answerable(self) -> bool:
        """The knowledge base answers it (whether or not policy sends it to a human)."""
        return self.expected == "answer"


class GoldenSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    description: str = ""
    cases: list[GoldenCase]


def load_golden(path: Path) -> list[GoldenCase]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        golden = GoldenSet.model_validate(data)
    except FileNotFoundError as exc:
        raise AnswerdeskError(ErrorCode.NOT_FOUND, f"no golden set at {path}") from exc
    except yaml.YAMLError as exc:
        raise AnswerdeskError(ErrorCode.INVALID_INPUT, f"{path} is not valid YAML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT, f"{path}: {where}: {first['msg']} ({exc.error_count()} errors)"
        ) from exc
    ids = [c.id for c in golden.cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise AnswerdeskError(ErrorCode.INVALID_INPUT, f"{path}: duplicate case ids {duplicates}")
    return golden.cases

"""Prompt templates, kept as files and versioned; rendering fails on a missing variable.

Each `*.md` file here starts with a front matter line `version: <name>@<n>`; bump it when the
wording changes, so every answer records which prompt produced it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from assistant.errors import AnswerdeskError, ErrorCode

_DIR = Path(__file__).resolve().parent
_FRONT = re.compile(r"\A---\s*\nversion:\s*(\S+)\s*\n---\s*\n", re.S)


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    template: str

    @property
    def variables(self) -> set[str]:
        return {
            m.group("named") or m.group("braced")
            for m in Template.pattern.finditer(self.template)
            if m.group("named") or m.group("braced")
        }

    def render(self, **values: object) -> str:
        missing = self.variables - values.keys()
        if missing:
            raise AnswerdeskError(
                ErrorCode.CONFIGURATION,
                f"prompt {self.name!r} needs {', '.join(sorted(missing))}; pass every variable",
            )
        return Template(self.template).substitute({k: str(v) for k, v in values.items()})


@functools.cache
def load_prompt(name: str) -> Prompt:
    path = _DIR / f"{name}.md"
    if not path.exists():
        raise AnswerdeskError(ErrorCode.CONFIGURATION, f"no prompt file {path}")
    text = path.read_text(encoding="utf-8")
    match = _FRONT.match(text)
    if not match:
        raise AnswerdeskError(
            ErrorCode.CONFIGURATION, f"{path} must start with a `version:` front matter"
        )
    return Prompt(name, match.group(1), text[match.end() :].strip() + "\n")

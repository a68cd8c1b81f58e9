"""Saved replies with `{{placeholders}}`: filled from the case where it knows the value, and a
guard that refuses to send text with a placeholder still in it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.errors import AnswerdeskError, ErrorCode

REPLIES_FILE = Path(__file__).resolve().parent / "saved_replies.yaml"
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class SavedReply:
    id: str
    title: str
    text: str
    unfilled: list[str]  # placeholders the agent still has to fill


def load_templates(path: Path = REPLIES_FILE) -> list[dict[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [{k: str(v) for k, v in r.items()} for r in data.get("replies", [])]


def fill(template: str, values: Mapping[str, str]) -> tuple[str, list[str]]:
    """Replace the placeholders we know; report (in order, once each) the ones left."""
    text = PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or m.group(0), template)
    return text, unfilled(text)


def unfilled(text: str) -> list[str]:
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def refuse_unfilled(text: str) -> None:
    left = unfilled(text)
    if left:
        raise AnswerdeskError(
            ErrorCode.UNPROCESSABLE,
            "The reply still has placeholders to fill: "
            + ", ".join("{{" + name + "}}" for name in left)
            + ". Replace them before sending.",
        )


def saved_replies(values: Mapping[str, str], path: Path = REPLIES_FILE) -> list[SavedReply]:
    out = []
    for template in load_templates(path):
        text, left = fill(template["text"], values)
        out.append(SavedReply(template["id"], template["title"], text, left))
    return out

"""Publishing an article written in the admin console into the knowledge-base folder.

The article becomes an ordinary Markdown file with front matter, beside the team's own
articles (under `articles/` of the first source folder when it has one), so it is reviewed,
versioned and re-indexed like every other: nothing about it lives only in a database. An
existing file is never overwritten by accident.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings

MAX_BODY_CHARS = 100_000
_AREA = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


@dataclass(frozen=True)
class Published:
    path: Path
    document_id: str  # as ingest names it: article:<path under the source folder>


def slug_of(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:80].rstrip("-") or "article"


def knowledge_folder(settings: Settings) -> Path:
    if settings.publish_dir is not None:
        return settings.publish_dir
    folder = next((s for s in settings.sources if s.is_dir()), None)
    if folder is None:
        raise AnswerdeskError(
            ErrorCode.CONFIGURATION,
            "No knowledge-base folder to publish into: set ANSWERDESK_PUBLISH_DIR (a folder "
            "among ANSWERDESK_SOURCES).",
        )
    return folder


def publish(
    settings: Settings, title: str, body: str, product_area: str = "", overwrite: bool = False
) -> Published:
    title, body = title.strip(), body.strip()
    if not title or len(title) > 200:
        raise AnswerdeskError(ErrorCode.INVALID_INPUT, "An article needs a title of 1–200 chars.")
    if not body or len(body) > MAX_BODY_CHARS:
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT, f"An article needs a body of 1–{MAX_BODY_CHARS:,} chars."
        )
    if product_area and not _AREA.match(product_area):
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT, "A product area is lower-case letters, digits and dashes."
        )
    root = knowledge_folder(settings)
    folder = root / "articles" if (root / "articles").is_dir() else root
    folder = folder / product_area if product_area else folder
    path = folder / f"{slug_of(title)}.md"
    if path.exists() and not overwrite:
        raise AnswerdeskError(
            ErrorCode.CONFLICT,
            f"{path.relative_to(root)} already exists; choose another title or overwrite it.",
        )
    front = {"title": title, "updated": datetime.now(UTC).date().isoformat()}
    if product_area:
        front["product_area"] = product_area
    text = f"---\n{yaml.safe_dump(front, allow_unicode=True, sort_keys=False)}---\n\n{body}\n"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".md.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)  # whole or not at all: a re-index never reads half a file
    except OSError as exc:
        raise AnswerdeskError(
            ErrorCode.CONFIGURATION, f"Cannot write {path}: {exc.strerror or exc}"
        ) from exc
    return Published(path, f"article:{path.relative_to(root).with_suffix('').as_posix()}")

"""Loaders: source files → `Document`s, and a clear `SourceError` for every file that fails.

One bad file (or line) never stops the others: `load_sources` collects errors and carries on,
whatever a loader raised (an impossible date, a nesting bomb, a parser's own limit). The kind of
a structured file (FAQ or case) is told by its fields, not by its name.

A symbolic link under a source folder is read only when its target is inside that folder too;
one that leads out of it (to `~/.ssh`, `/etc`, another customer's export) is reported, never
followed: the folder an operator names is the whole of what may reach the index.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.types import Document
from ingest.loaders.articles import load_html_article, load_markdown_article
from ingest.loaders.errors import SourceError, SourceFileError, unexpected_reason
from ingest.loaders.records import load_records_file

__all__ = ["OUTSIDE", "LoadResult", "SourceError", "iter_source_files", "load_sources"]

ARTICLE_SUFFIXES = {".md", ".markdown", ".html", ".htm"}
RECORD_SUFFIXES = {".yaml", ".yml", ".json", ".jsonl", ".csv"}
SUPPORTED_SUFFIXES = ARTICLE_SUFFIXES | RECORD_SUFFIXES
OUTSIDE = "symbolic link to a place outside the source folder; not followed"

log = logging.getLogger("answerdesk.ingest")


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)

    @property
    def failed_paths(self) -> set[str]:
        """Files whose documents already in the index are kept; a refused symbolic link keeps
        nothing (what it led to was never meant to be there)."""
        return {e.path for e in self.errors if e.reason != OUTSIDE}


def _skipped(path: Path) -> bool:
    # Docs about the sources (README, LICENSE), evaluation sets (golden*.yaml) and hidden files
    # are not knowledge-base content.
    name = path.name
    stem = name.split(".")[0].upper()
    return (
        name.startswith((".", "_"))
        or stem in {"README", "LICENSE", "GOLDEN"}
        or (stem.startswith("GOLDEN") and path.suffix in {".yaml", ".yml", ".json", ".jsonl"})
    )


def iter_source_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """Yield (file, root) for every file under the given folders or files that ingest reads."""
    for path, root, escapes in _walk(paths):
        if not escapes:
            yield path, root


def _walk(paths: Iterable[Path]) -> Iterator[tuple[Path, Path, bool]]:
    """(file, root, escapes): `escapes` marks a symbolic link under a folder that leads out of
    it (`rglob` never descends into a linked folder, so a linked folder is one entry). A file
    named on its own is the operator's explicit choice and is read wherever it points."""
    for root in paths:
        if root.is_file():
            yield root, root.parent, False
        elif root.is_dir():
            real_root = os.path.realpath(root)
            for path in sorted(root.rglob("*")):
                hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
                if hidden or _skipped(path):
                    continue
                if path.is_symlink() and not _inside(path, real_root):
                    yield path, root, True
                elif path.is_file():
                    yield path, root, False


def _inside(path: Path, real_root: str) -> bool:
    target = os.path.realpath(path)
    return os.path.commonpath([target, real_root]) == real_root


def _read_text(path: Path, max_bytes: int) -> str:
    size = path.stat().st_size
    if size == 0:
        raise SourceFileError("file is empty")
    if size > max_bytes:
        raise SourceFileError(
            f"file is {size:,} bytes, over the {max_bytes:,}-byte limit "
            "(split it, or raise ANSWERDESK_MAX_FILE_BYTES)"
        )
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise SourceFileError("file looks binary, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFileError(f"file is not valid UTF-8 (byte {exc.start})") from exc
    if not text.strip():
        raise SourceFileError("file is empty")
    return text


def load_file(path: Path, root: Path, max_bytes: int) -> LoadResult:
    result = LoadResult()
    shown = str(path)
    suffix = path.suffix.lower()
    try:
        if suffix not in SUPPORTED_SUFFIXES:
            raise SourceFileError(
                f"unsupported file type {suffix or '(none)'}; expected one of "
                + ", ".join(sorted(SUPPORTED_SUFFIXES))
            )
        text = _read_text(path, max_bytes)
        relative = path.relative_to(root).with_suffix("").as_posix()
        if suffix in {".md", ".markdown"}:
            result.documents.append(load_markdown_article(text, relative, shown))
        elif suffix in {".html", ".htm"}:
            result.documents.append(load_html_article(text, relative, shown))
        else:
            documents, errors = load_records_file(text, suffix, shown)
            result.documents.extend(documents)
            result.errors.extend(errors)
    except SourceFileError as exc:
        result.errors.append(SourceError(shown, exc.line, exc.reason))
    except Exception as exc:  # any other failure is this file's, never the whole ingest's
        deep = isinstance(exc, RecursionError)  # its traceback is a thousand identical lines
        log.warning("cannot load %s: %r", shown, exc, exc_info=None if deep else exc)
        result = LoadResult(errors=[SourceError(shown, None, unexpected_reason(exc))])
    return result


def load_sources(paths: Iterable[Path], max_bytes: int) -> LoadResult:
    """Load every supported file under `paths`; duplicate document ids are errors."""
    result = LoadResult()
    seen: dict[str, str] = {}
    for path, root, escapes in _walk(paths):
        if escapes:
            result.errors.append(SourceError(str(path), None, OUTSIDE))
            continue
        loaded = load_file(path, root, max_bytes)
        result.errors.extend(loaded.errors)
        for document in loaded.documents:
            if document.id in seen:
                result.errors.append(
                    SourceError(
                        document.source_path,
                        None,
                        f"duplicate document id {document.id!r} (also in {seen[document.id]})",
                    )
                )
                continue
            seen[document.id] = document.source_path
            result.documents.append(document)
    return result

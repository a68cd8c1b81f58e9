"""What a loader reports when a source file (or one line of it) cannot be used."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceError:
    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


class SourceFileError(Exception):
    """Raised inside loaders; `load_file` turns it into a `SourceError`."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def unexpected_reason(exc: BaseException) -> str:
    """A reason for an error no loader foresaw (a parser's own limit, a library bug): the file
    is still reported, with what went wrong, and the ingest goes on."""
    if isinstance(exc, RecursionError):
        return "file is nested too deeply to read"
    if isinstance(exc, MemoryError):
        return "file needs more memory to read than is available"
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"file could not be read ({type(exc).__name__}{': ' + detail if detail else ''})"

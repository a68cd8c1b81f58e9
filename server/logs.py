"""Logs without customers' data: every log record is redacted as it is made.

`install_redaction()` (`create_app` calls it) wraps the process's log record factory, so the
records of every logger (ours, uvicorn's access log with its query strings, a library's
exception) pass through `RedactingFilter` before any handler sees them; a filter on handlers
would miss handlers added later, a filter on loggers the records of their children. The filter
also works on its own, in a logging configuration (``"()": "server.logs.RedactingFilter"``).

The message, its arguments (one by one, so formatters that read them, like uvicorn's access log,
still work; a percent-encoded path is decoded when that reveals something to redact), the
traceback and the stack are redacted. Client IP addresses stay: the access log is the operator's
record of who connected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from assistant.redaction import find_person_names, redact

_KEEP = frozenset({"IP"})
_INSTALLED = "_answerdesk_redacting"


# Short texts found clean: the access log repeats its format, methods and paths with every
# request. Only a text with nothing to redact, even once percent-decoded, is remembered: the
# set holds nothing the log itself does not show.
_CLEAN: set[str] = set()
_CLEAN_SIZE, _CLEAN_LENGTH = 2048, 200


def redact_log_text(text: str) -> str:
    if text in _CLEAN:
        return text
    cleaned = redact(text, sorted(find_person_names(text)), keep=_KEEP).text
    if cleaned == text and len(text) <= _CLEAN_LENGTH and "%" not in text:
        if len(_CLEAN) >= _CLEAN_SIZE:
            _CLEAN.clear()
        _CLEAN.add(text)
    return cleaned


def _argument(value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    cleaned = redact_log_text(text)
    if cleaned == text and "%" in text:  # "/v1/admin/customers?email=maria%40bakery.example"
        decoded = unquote(text)
        cleaned = redact_log_text(decoded) if decoded != text else text
        cleaned = text if cleaned == decoded else cleaned
    return value if cleaned == text else cleaned


class RedactingFilter(logging.Filter):
    """Rewrites a record in place; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_log_text(record.msg)
        else:
            record.msg = _argument(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_argument(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _argument(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_log_text(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact_log_text(record.stack_info)
        return True


def install_redaction() -> None:
    """Redact every log record of this process from now on (once, however often called)."""
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(previous, _INSTALLED, False):
        return
    redacting = RedactingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redacting.filter(record)
        return record

    setattr(factory, _INSTALLED, True)
    logging.setLogRecordFactory(factory)

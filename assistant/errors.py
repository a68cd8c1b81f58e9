"""The one error type of answerdesk.

    AnswerdeskError(code, message)
        code: ErrorCode — a stable machine-readable name and the HTTP status it maps to

Domain code raises `AnswerdeskError`; the server turns it into
`{"error": {"code": ..., "message": ...}}` and the CLI into a message and an exit code.
Messages are written for the person who has to fix the problem.
"""

from __future__ import annotations

from enum import Enum


class ErrorCode(Enum):
    INVALID_INPUT = ("invalid_input", 400)
    UNAUTHORIZED = ("unauthorized", 401)
    FORBIDDEN = ("forbidden", 403)
    NOT_FOUND = ("not_found", 404)
    CONFLICT = ("conflict", 409)
    TOO_LARGE = ("too_large", 413)
    UNPROCESSABLE = ("unprocessable", 422)
    RATE_LIMITED = ("rate_limited", 429)
    CONFIGURATION = ("configuration", 500)
    INDEX_UNAVAILABLE = ("index_unavailable", 503)
    MODEL_UNAVAILABLE = ("model_unavailable", 503)
    STORE_UNAVAILABLE = ("store_unavailable", 503)

    def __init__(self, slug: str, http_status: int) -> None:
        self.slug = slug
        self.http_status = http_status


class AnswerdeskError(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

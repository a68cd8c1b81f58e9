"""One JSON shape for every failure: `{"error": {"code": "<slug>", "message": "<for a person>"}}`.

AnswerdeskError          its code's slug and HTTP status (assistant/errors.py); for a 5xx the
                         message is the code's public one (below) and the operator's message,
                         which may name a database host, user or file, goes to the log only
RequestValidationError   400 invalid_input, naming the field and what is wrong with it
HTTPException            404 not_found (unknown route), 405 method_not_allowed, 413, ...
anything else            500 internal: logged with its traceback, never shown to the client
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from assistant.errors import AnswerdeskError, ErrorCode

log = logging.getLogger("answerdesk.server")

# HTTP statuses Starlette raises on its own (routing, static files, body limits).
_HTTP_SLUGS = {code.http_status: code.slug for code in ErrorCode if code.http_status < 500}
_HTTP_SLUGS[405] = "method_not_allowed"
_HTTP_MESSAGES = {
    404: "There is nothing at {method} {path}; see /docs for the API.",
    405: "{method} is not allowed on {path}; see /docs for the methods it takes.",
}


# What a caller is told when a dependency is down: the cause and the fix are the operator's.
PUBLIC_MESSAGES = {
    ErrorCode.STORE_UNAVAILABLE: "The conversation store is unavailable right now",
    ErrorCode.INDEX_UNAVAILABLE: "The knowledge base index is unavailable right now",
    ErrorCode.MODEL_UNAVAILABLE: "The answering model is unavailable right now",
    ErrorCode.CONFIGURATION: "The server is not ready to answer this",
}


def public_message(error: AnswerdeskError) -> str:
    """The message a client may see; a 5xx's details stay in the server log."""
    if error.code.http_status < 500:
        return error.message
    what = PUBLIC_MESSAGES.get(error.code, "Something went wrong on our side")
    return f"{what}; please try again in a moment. The server log has the details."


class RateLimited(AnswerdeskError):
    """429 with the seconds to wait, sent as `Retry-After`."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(ErrorCode.RATE_LIMITED, message)
        self.retry_after = retry_after


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _answerdesk_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AnswerdeskError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if exc.code.http_status >= 500:
        log.warning("%s: %s", exc.code.slug, exc.message)
    return error_response(exc.code.http_status, exc.code.slug, public_message(exc), headers)


def validation_message(errors: Sequence[Any]) -> str:
    """`text: Field required; csat: Input should be less than or equal to 5`."""
    parts = []
    for error in errors[:3]:
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        where = ".".join(location) or "the body"
        if error.get("type") == "json_invalid":
            parts.append(f"the body is not valid JSON ({error.get('ctx', {}).get('error', '')})")
        else:
            parts.append(f"{where}: {error.get('msg', 'invalid')}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more + "."


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, ErrorCode.INVALID_INPUT.slug, validation_message(exc.errors()))


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_SLUGS.get(exc.status_code, "internal" if exc.status_code >= 500 else "http_error")
    template = _HTTP_MESSAGES.get(exc.status_code)
    message = (
        template.format(method=request.method, path=request.url.path)
        if template
        else str(exc.detail)
    )
    return error_response(exc.status_code, code, message, exc.headers)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500,
        "internal",
        "Something went wrong on our side; it has been logged. Please try again.",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AnswerdeskError, _answerdesk_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

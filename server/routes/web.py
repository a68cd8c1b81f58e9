"""The web UIs in server/web: the demo product page with the widget, the widget script, the
agent console and the admin console (the status page is served by `status.py`). They are static
files calling the JSON API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from assistant.errors import AnswerdeskError, ErrorCode

WEB = Path(__file__).resolve().parents[1] / "web"
router = APIRouter(include_in_schema=False)


def page(name: str, media_type: str = "text/html") -> FileResponse:
    path = WEB / name
    if not path.is_file():
        raise AnswerdeskError(
            ErrorCode.NOT_FOUND, f"The web UI file {name} is not installed (server/web/{name})."
        )
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/")
def product_page() -> FileResponse:
    return page("index.html", "text/html")


@router.get("/agent")
def agent_console() -> FileResponse:
    return page("agent.html", "text/html")


@router.get("/admin")
def admin_console() -> FileResponse:
    return page("admin.html", "text/html")


@router.get("/widget.js")
def widget() -> FileResponse:
    return page("widget.js", "text/javascript")

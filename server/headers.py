"""Security headers on every response: what a browser may load, run and frame for each page.

    /, /agent,     the demo product page and the agent and admin consoles: scripts, styles
    /admin         and fetches from this origin only (no CDN, nothing inline), never framed
    /docs, /redoc  the API explorer: Swagger UI / ReDoc served by the app itself (fastapi-offline,
                   so it works without internet) with an inline start-up script: the only pages
                   allowed inline code, still never framed
    everything     API JSON, static files, errors: `default-src 'none'` (a JSON body opened
    else           as a page runs nothing), never framed

No page of ours is meant to be framed. The widget that customers embed is a script
(`/widget.js`) that draws into a shadow root of the host page and calls the API with `fetch`:
the host page's own CSP governs it there (it needs our origin in its `script-src` and
`connect-src`), and its styles are a constructed stylesheet, so a host page need not allow
inline styles. Were the widget ever an iframe, that one page would need `frame-ancestors`
listing the customers' origins (ANSWERDESK_CORS_ORIGINS), and nothing else.

Every response also says `X-Content-Type-Options: nosniff` (a JSON body or an upload is never
run as a script) and `Referrer-Policy: no-referrer` (conversation URLs never leak to the
article sites an answer links to).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; worker-src blob:; connect-src 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"
PAGES = frozenset({"/", "/agent", "/admin", "/status"})
DOCS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def policy_for(path: str) -> str:
    if path in PAGES:
        return PAGE_CSP
    if path in DOCS:
        return DOCS_CSP
    return API_CSP


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response, refusals and errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*COMMON, (b"content-security-policy", policy_for(scope["path"]).encode())]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(name, value) for name, value in extra if name not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)

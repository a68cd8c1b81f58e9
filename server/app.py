"""The FastAPI app: `create_app(settings)` builds one; nothing is created at import.

    app = create_app(Settings())                 # what `answerdesk serve` runs
    app = create_app(settings, desk=desk)        # tests: a desk built around their parts

Building one redacts every log record of the process from then on (server/logs.py).

Start-up (the lifespan) opens the store, loads the index and warms the embedder, so the first
customer does not wait for a model to load. A dependency that is down, or accepts connections
and never answers, does not stop or hang start-up (every wait on the database or a Chroma server
is bounded by its timeout setting): the server starts, `/readyz` says what is down, requests
that need the database answer 503 store_unavailable until it is back, and turns that need the
index are handed off. Once serving, `server/recovery.py` hands off any customer message a crash
left unanswered, and threads deliver webhooks and emails (`assistant/webhooks/`,
`assistant/mail/`).

Middleware, outermost first: security headers (server/headers.py: CSP, framing, nosniff, on
every response), CORS (so even refusals carry the headers a page on another origin needs),
header size limit, metrics, body size limit; then routing, errors (server/errors.py) and the
routes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from assistant import spelling
from assistant.desk import HelpDesk
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.mail.inbound import MAX_BYTES as MAX_EMAIL_BYTES
from assistant.mail.worker import MailWorker
from assistant.settings import Settings
from assistant.store.conversations import SqlConversationStore
from assistant.store.engine import database_url, make_engine, timeouts, upgrade
from assistant.store.keys import ApiKeys
from assistant.store.sql import SqlCaseStore
from assistant.webhooks.worker import DeliveryWorker
from server.errors import install_error_handlers
from server.headers import SecurityHeadersMiddleware
from server.jobs import QueuedReindexer
from server.limits import BodyLimitMiddleware, HeaderLimitMiddleware, make_limiter
from server.logs import install_redaction
from server.metrics import Metrics, MetricsMiddleware
from server.recovery import recover
from server.reindex import Reindexer
from server.routes import admin, agent, content, customer, health, inbound, status, web, webhooks
from server.state import Runtime
from server.turns import TurnRunner

log = logging.getLogger("answerdesk.server")

DESCRIPTION = """\
Answers customers from the help center with cited sources and an honest confidence score,
and hands conversations to people with the case already written up.

Every error is `{"error": {"code": "<slug>", "message": "<for a person>"}}`.
Customers authenticate with their conversation's token (`Authorization: Bearer`);
agents and admins with an API key (`X-API-Key`).
"""

TAGS = [
    {"name": "customer", "description": "A customer's conversation (conversation token)."},
    {"name": "agent", "description": "The hand-off queue and case work (agent key)."},
    {"name": "admin", "description": "Re-indexing, statistics, exports (admin key)."},
    {"name": "status", "description": "Known incidents, for the status page (no key)."},
    {"name": "health", "description": "Liveness, readiness, metrics."},
]


def _open_store(settings: Settings) -> tuple[SqlCaseStore, bool]:
    """The store, and whether its schema is migrated (False while the database is down)."""
    store = SqlCaseStore(make_engine(database_url(settings), **timeouts(settings)))
    try:
        upgrade(store.engine)
    except AnswerdeskError as error:
        if error.code is not ErrorCode.STORE_UNAVAILABLE:
            store.close()
            raise
        log.error("%s Serving anyway; requests that need it answer 503.", error.message)
        return store, False
    return store, True


def _warm_up(desk: HelpDesk) -> None:
    """Load what the first question would otherwise wait for."""
    desk.assistant.embedder.embed(["warm up the embedding model"])
    spelling.warm_up()  # its English dictionary
    if desk.assistant.detector is not None:
        desk.assistant.detector.assess("warm up the anger detector")


def create_app(settings: Settings, *, desk: HelpDesk | None = None) -> FastAPI:
    install_redaction()  # no customer's data in any log line of this process (server/logs.py)
    runtime = Runtime(settings, Metrics(), make_limiter(settings.redis_url))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        owned = desk is None
        if desk is None:
            store, runtime.migrated = _open_store(settings)
            try:
                runtime.desk = HelpDesk.from_settings(settings, store=store)
            except BaseException:
                store.close()
                raise
        else:
            runtime.desk = desk
        if not isinstance(runtime.desk.store, SqlConversationStore):
            raise AnswerdeskError(
                ErrorCode.CONFIGURATION, "The server needs the SQL case store (for API keys)."
            )
        runtime.keys = ApiKeys(runtime.desk.store.engine)
        _warm_up(runtime.desk)
        runtime.turns = TurnRunner(
            runtime.desk, settings.turn_timeout_seconds, settings.turn_threads, runtime.metrics
        )
        live = runtime.desk.assistant

        def serve_new_index() -> None:
            live.index.refresh()

        runtime.reindexer = (
            QueuedReindexer(settings)  # `answerdesk worker` processes run it
            if settings.jobs == "queue"
            else Reindexer(settings, lambda: live.embedder, serve_new_index)
        )
        recovery = asyncio.create_task(recover(runtime.desk, settings.turn_timeout_seconds))
        delivery = mail = None
        if settings.webhook_delivery:
            delivery = DeliveryWorker.from_settings(settings, runtime.desk.store)
            delivery.start(settings.webhook_poll_seconds)
        if settings.smtp_host:
            mail = MailWorker.from_settings(settings, runtime.desk.store)
            mail.start(settings.webhook_poll_seconds)
        try:
            yield
        finally:
            recovery.cancel()
            for worker in (delivery, mail):
                if worker is not None:
                    worker.close()
            runtime.turns.close()
            runtime.index_probe.close()
            runtime.store_probe.close()
            if owned:
                live.index.close()
                runtime.keys.engine.dispose()

    app = FastAPIOffline(  # the API explorer's scripts come with the app: /docs works offline
        title="answerdesk",
        version="1",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    routers = (
        customer.router, agent.router, admin.router, content.router, status.admin_router,
        webhooks.router, inbound.router, status.router, health.router,
    )  # fmt: skip
    for router in (*routers, web.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=web.WEB, check_dir=False), name="static")

    # add_middleware wraps what is there: the last one added runs first.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        paths={"/v1/inbound/email": MAX_EMAIL_BYTES},
    )
    app.add_middleware(MetricsMiddleware, metrics=runtime.metrics)
    app.add_middleware(HeaderLimitMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-API-Key",
                "Accept",
                "Idempotency-Key",
            ],
            expose_headers=["Retry-After"],
        )
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def from_environment() -> FastAPI:
    """The app for `uvicorn --factory server.app:from_environment` (settings from ANSWERDESK_*)."""
    return create_app(Settings())

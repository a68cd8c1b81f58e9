"""The app's runtime state, and the help desk as an `Annotated` dependency (`Desk`), with its
store reachable: a database that was down at start-up is migrated on first use.

No request waits behind another's connection attempt: while one request migrates, the others
hear 503 store_unavailable at once rather than queueing on the lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from assistant.agents import AgentDesk
from assistant.desk import HelpDesk
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings
from assistant.store.engine import upgrade
from assistant.store.keys import ApiKeys
from server.limits import Limiter
from server.metrics import Metrics
from server.probes import Probe
from server.reindex import Reindexing
from server.turns import TurnRunner

READY_DEADLINE = 1.0  # seconds: a check that answers at all answers in milliseconds


@dataclass
class Runtime:
    """Everything one app holds (on `app.state.runtime`); the desk arrives with the lifespan."""

    settings: Settings
    metrics: Metrics
    limiter: Limiter
    desk: HelpDesk | None = None
    keys: ApiKeys | None = None
    turns: TurnRunner | None = None
    reindexer: Reindexing | None = None
    migrated: bool = True  # False while the database was unreachable at start-up
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # /readyz: each check answers within READY_DEADLINE (the whole answer within 2 s)
    index_probe: Probe = field(default_factory=lambda: Probe("the index", READY_DEADLINE))
    store_probe: Probe = field(default_factory=lambda: Probe("the store", READY_DEADLINE))

    def ensure_store(self) -> None:
        """Finish the start-up migration once the database is back."""
        if self.migrated:
            return
        keys = self.keys
        assert keys is not None
        if not self._lock.acquire(blocking=False):
            raise AnswerdeskError(
                ErrorCode.STORE_UNAVAILABLE,
                "The conversation store is unavailable right now (reconnecting); retry shortly.",
            )
        try:
            if not self.migrated:
                upgrade(keys.engine)
                self.migrated = True
        finally:
            self._lock.release()


async def get_runtime(request: Request) -> Runtime:
    # Dependencies this trivial are `async`: FastAPI runs a plain `def` one in a worker thread.
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_desk(runtime: RuntimeDep) -> HelpDesk:
    if runtime.desk is None:
        raise AnswerdeskError(ErrorCode.CONFIGURATION, "The server is still starting; retry.")
    runtime.ensure_store()
    return runtime.desk


Desk = Annotated[HelpDesk, Depends(get_desk)]


async def get_agents(desk: Desk) -> AgentDesk:
    return desk.agents


Agents = Annotated[AgentDesk, Depends(get_agents)]

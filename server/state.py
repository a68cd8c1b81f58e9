"""The app's runtime state, and the help desk as an `Annotated` dependency (`Desk`), with its
store reachable: a database that was down at start-up is migrated on first use."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from assistant.desk import HelpDesk
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings
from assistant.store.engine import upgrade
from assistant.store.keys import ApiKeys
from server.limits import RateLimiter
from server.metrics import Metrics
from server.reindex import Reindexer
from server.turns import TurnRunner


@dataclass
class Runtime:
    """Everything one app holds (on `app.state.runtime`); the desk arrives with the lifespan."""

    settings: Settings
    metrics: Metrics
    limiter: RateLimiter
    desk: HelpDesk | None = None
    keys: ApiKeys | None = None
    turns: TurnRunner | None = None
    reindexer: Reindexer | None = None
    migrated: bool = True  # False while the database was unreachable at start-up
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ensure_store(self) -> None:
        """Finish the start-up migration once the database is back."""
        if self.migrated:
            return
        keys = self.keys
        assert keys is not None
        with self._lock:
            if not self.migrated:
                upgrade(keys.engine)
                self.migrated = True


def get_runtime(request: Request) -> Runtime:
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

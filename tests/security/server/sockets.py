"""Dependencies that stop answering, for real clients to talk to, on loopback.

BlackHole     accepts every connection and never sends a byte (a hung database, Chroma server
              or model endpoint: the kernel completes the handshake, the process never answers)
StallingProxy forwards to a real server until `stall()`; then it forwards nothing more, on the
              connections it has and on new ones (a server that stops answering mid-serve)
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Self


class _Listener:
    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(256)
        self.port = int(self._server.getsockname()[1])
        self._held: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self._held.append(connection)
            self.accepted(connection)

    def accepted(self, connection: socket.socket) -> None:
        """Held open, unanswered."""

    def close(self) -> None:
        self._closed.set()
        for held in [self._server, *self._held]:
            with contextlib.suppress(OSError):
                held.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class BlackHole(_Listener):
    @property
    def connections(self) -> int:
        return len(self._held)


class StallingProxy(_Listener):
    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self._upstream = (host, int(port))
        self._stalled = threading.Event()
        super().__init__()

    def stall(self) -> None:
        self._stalled.set()

    def accepted(self, connection: socket.socket) -> None:
        if self._stalled.is_set():
            return
        upstream = socket.create_connection(self._upstream)
        self._held.append(upstream)
        for source, target in ((connection, upstream), (upstream, connection)):
            threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                if self._stalled.is_set():
                    continue  # swallowed: the other side waits for an answer that never comes
                target.sendall(chunk)

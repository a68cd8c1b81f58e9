"""One delivery attempt: a signed HTTP POST, timed out, never redirected.

A webhook URL is typed by an admin, but the server sends from inside the team's network: by
default an address that resolves to a private, loopback or link-local network is refused (a
webhook must not become a way to reach internal services). `webhook_allow_private` allows it,
for receivers inside the network on purpose.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.events import Event
from assistant.store.webhooks import Target
from assistant.webhooks.bodies import body
from assistant.webhooks.signing import HEADER, sign

USER_AGENT = "answerdesk-webhooks/1"


@dataclass(frozen=True)
class Sent:
    status: int | None  # the receiver's HTTP status; None when there was no response
    error: str  # why it failed, for the delivery log ("" when delivered)
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def check_reachable(url: str, allow_private: bool) -> None:
    """Refuse (INVALID_INPUT) a URL whose host resolves to a non-public address, unless
    allowed; a host that does not resolve is refused too."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise AnswerdeskError(ErrorCode.INVALID_INPUT, f"{host} does not resolve: {exc}") from exc
    if allow_private:
        return
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]))
        if not address.is_global:
            raise AnswerdeskError(
                ErrorCode.INVALID_INPUT,
                f"{host} resolves to {address}, which is not a public address; set "
                "ANSWERDESK_WEBHOOK_ALLOW_PRIVATE=true to deliver inside your network.",
            )


class Sender:
    def __init__(self, timeout: float, allow_private: bool = False, console_url: str = "") -> None:
        self.allow_private = allow_private
        self.console_url = console_url
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, target: Target, event: Event) -> Sent:
        started = time.perf_counter()
        try:
            check_reachable(target.url, self.allow_private)
            content = body(event, target.format, self.console_url)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "Answerdesk-Event-Id": event.key,
                "Answerdesk-Event-Type": event.type,
                HEADER: sign(target.secret, content, int(time.time())),
            }
            response = self._client.post(target.url, content=content, headers=headers)
        except AnswerdeskError as refused:
            return Sent(None, refused.message, time.perf_counter() - started)
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
            return Sent(None, reason, time.perf_counter() - started)
        status = response.status_code
        error = "" if 200 <= status < 300 else f"HTTP {status}: {response.text[:200]}".strip()
        return Sent(status, error, time.perf_counter() - started)

    def close(self) -> None:
        self._client.close()

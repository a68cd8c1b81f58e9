"""Signed values in emails: a link that reopens one conversation in the widget until it
expires, and the reply token that ties an emailed answer to its conversation.

Both are HMAC-SHA256 over the conversation id (and, for a link, its expiry), keyed by
`ANSWERDESK_LINK_SECRET`; without one, a random key is made once and kept in the data dir
(`link.key`, readable by its owner only). Several servers share one database: give them the same
secret.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import AnswerdeskError, ErrorCode

if TYPE_CHECKING:
    from assistant.settings import Settings

KEY_FILE = "link.key"
_TOKEN_DIGITS = 20  # hex characters of the reply token's signature


def key_of(settings: Settings) -> bytes:
    """The installation's signing key, as its settings give it."""
    secret = settings.link_secret.get_secret_value() if settings.link_secret else None
    return link_key(secret, settings.data_dir)


@functools.cache  # the key file is read once per process, not on every request
def link_key(secret: str | None, data_dir: Path) -> bytes:
    """The configured secret, or this installation's own, made on first use."""
    if secret:
        return secret.encode()
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def sign_link(key: bytes, conversation_id: str, expires: datetime) -> str:
    """`<base64 of id.expiry>.<signature>`: opens this conversation until `expires`."""
    payload = f"{conversation_id}.{int(expires.timestamp())}"
    encoded = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{encoded}.{_mac(key, payload)}"


def open_link(key: bytes, link: str, now: datetime) -> str:
    """The conversation a link opens; NOT_FOUND for a forged, malformed or expired link (one
    answer for all: a guesser learns nothing)."""
    refused = AnswerdeskError(
        ErrorCode.NOT_FOUND, "This link is not valid or has expired; start a new conversation."
    )
    encoded, _, signature = link.strip().partition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        conversation_id, expiry = payload.rsplit(".", 1)
        expires = int(expiry)
    except (ValueError, UnicodeDecodeError) as exc:
        raise refused from exc
    if not hmac.compare_digest(_mac(key, payload), signature) or now.timestamp() > expires:
        raise refused
    return conversation_id


def expiry(now: datetime, days: int) -> datetime:
    return now + timedelta(days=days)


def reply_token(key: bytes, conversation_id: str) -> str:
    """`c<id>x<signature>`: letters and digits only, so it survives in an address's plus part
    (`support+c…@example.com`) and in a Message-ID."""
    return f"c{conversation_id}x{_mac(key, 'reply:' + conversation_id)[:_TOKEN_DIGITS]}"


def token_conversation(key: bytes, token: str) -> str | None:
    """The conversation a reply token names, when its signature holds."""
    body, _, signature = token.removeprefix("c").partition("x")
    expected = _mac(key, "reply:" + body)[:_TOKEN_DIGITS]
    if token.startswith("c") and body and hmac.compare_digest(expected, signature):
        return body
    return None

"""Signed email links reopen one conversation until they expire; reply tokens name their
conversation and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.errors import AnswerdeskError
from assistant.mail.links import (
    link_key,
    open_link,
    reply_token,
    sign_link,
    token_conversation,
)

KEY = b"test-link-secret-0123456789"
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
CONVERSATION = "0f3c9a2b4d5e6f708192a3b4c5d6e7f8"


def test_a_link_opens_its_conversation_until_it_expires() -> None:
    link = sign_link(KEY, CONVERSATION, NOW + timedelta(days=14))
    assert open_link(KEY, link, NOW + timedelta(days=13)) == CONVERSATION
    with pytest.raises(AnswerdeskError, match="expired") as expired:
        open_link(KEY, link, NOW + timedelta(days=15))
    assert expired.value.code.http_status == 404


@pytest.mark.parametrize(
    "mangle",
    [
        lambda link: link[:-1] + ("0" if link[-1] != "0" else "1"),  # the signature
        lambda link: "A" + link[1:],  # the signed content
        lambda link: link.split(".")[0],  # no signature
        lambda link: "not a link at all",
    ],
)
def test_a_forged_or_mangled_link_is_refused(mangle: object) -> None:
    link = sign_link(KEY, CONVERSATION, NOW + timedelta(days=1))
    with pytest.raises(AnswerdeskError):
        open_link(KEY, mangle(link), NOW)  # type: ignore[operator]
    with pytest.raises(AnswerdeskError):
        open_link(b"another-secret-entirely", link, NOW)


def test_a_reply_token_names_its_conversation_and_survives_an_address() -> None:
    token = reply_token(KEY, CONVERSATION)
    assert token.isalnum() and CONVERSATION in token
    assert token_conversation(KEY, token) == CONVERSATION
    assert token_conversation(b"another-secret-entirely", token) is None
    forged = token.replace(CONVERSATION, "1" * 32)
    assert token_conversation(KEY, forged) is None
    assert token_conversation(KEY, "support") is None


def test_without_a_secret_the_installation_makes_and_keeps_its_own(tmp_path: Path) -> None:
    first = link_key(None, tmp_path)
    assert len(first) >= 32 and link_key(None, tmp_path) == first
    assert (tmp_path / "link.key").stat().st_mode & 0o777 == 0o600
    assert link_key("configured-secret", tmp_path) == b"configured-secret"

"""The mail worker: sends the store's queued emails over SMTP (`smtplib`), in a thread of the
server while `ANSWERDESK_SMTP_HOST` is set.

An agent's reply or the resolution waits `mail_unseen_minutes` first: a customer still in the
widget reads it there, and it is not emailed (their widget marks the conversation seen). An
email older than a day is dropped rather than sent late (say, when SMTP is configured after a
while). A failed send is retried with the webhooks' backoff until `mail_max_attempts`.
"""

from __future__ import annotations

import logging
import random
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Literal

from assistant.mail.compose import Letterhead, compose
from assistant.mail.links import expiry, key_of, reply_token, sign_link
from assistant.polling import Poller
from assistant.store.mail import Mail
from assistant.webhooks.worker import retry_delay

if TYPE_CHECKING:
    from assistant.settings import Settings
    from assistant.store.protocol import CaseStore

log = logging.getLogger("answerdesk.mail")
MAX_AGE = timedelta(days=1)
LEASE = timedelta(minutes=2)
Plan = Literal["send", "hold", "seen", "stale"]


def plan(mail: Mail, now: datetime, unseen: timedelta) -> Plan:
    """What to do with a due email now."""
    written = mail.event.created_at
    if now - written > MAX_AGE:
        return "stale"
    if mail.kind == "acknowledgement":
        return "send"
    if mail.seen_at is not None and mail.seen_at >= written:
        return "seen"
    return "hold" if now < written + unseen else "send"


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 20.0

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
            if self.starttls:
                client.starttls()
            if self.username:
                client.login(self.username, self.password)
            client.send_message(message)


class MailWorker:
    def __init__(
        self,
        store: CaseStore,
        smtp: Smtp,
        head: Letterhead,
        settings: Settings,
    ) -> None:
        self.store = store
        self.smtp = smtp
        self.head = head
        self.settings = settings
        self.key = key_of(settings)
        self._rng = random.Random()
        self._poller: Poller | None = None

    @classmethod
    def from_settings(cls, settings: Settings, store: CaseStore) -> MailWorker:
        assert settings.smtp_host, "the mail worker needs ANSWERDESK_SMTP_HOST"
        smtp = Smtp(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_username,
            settings.smtp_password.get_secret_value(),
            settings.smtp_starttls,
        )
        head = Letterhead(settings.company_name, settings.mail_from, settings.mail_reply_to or "")
        return cls(store, smtp, head, settings)

    def link(self, conversation_id: str, now: datetime) -> str:
        signed = sign_link(self.key, conversation_id, expiry(now, self.settings.mail_link_days))
        base = (self.settings.mail_link_url or self.settings.public_url or "").rstrip("/")
        return f"{base}/?answerdesk_resume={signed}"

    def run_once(self) -> int:
        now = datetime.now(UTC)
        unseen = timedelta(minutes=self.settings.mail_unseen_minutes)
        batch = self.store.lease_mails(20, LEASE)
        for mail in batch:
            decided = plan(mail, now, unseen)
            if decided == "hold":
                retry_at = mail.event.created_at + unseen
                self.store.finish_mail(mail.id, "pending", retry_at=retry_at, attempted=False)
            elif decided in ("seen", "stale"):
                why = "seen in the widget" if decided == "seen" else "too old to send"
                self.store.finish_mail(mail.id, "skipped", error=why)
            else:
                self._send(mail, now)
        return len(batch)

    def _send(self, mail: Mail, now: datetime) -> None:
        token = reply_token(self.key, mail.conversation_id)
        try:
            message = compose(
                mail, self.head, token, self.link(mail.conversation_id, now), self._wait(mail)
            )
            self.smtp.send(message)
        except (smtplib.SMTPException, OSError) as exc:
            attempts = mail.attempts + 1
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning(
                "mail %s to conversation %s failed: %s", mail.id, mail.conversation_id, error
            )
            if attempts >= self.settings.mail_max_attempts:
                self.store.finish_mail(mail.id, "failed", error=error)
            else:
                wait = retry_delay(attempts, 30.0, 3600.0, self._rng)
                retry_at = now + timedelta(seconds=wait)
                self.store.finish_mail(mail.id, "pending", error=error, retry_at=retry_at)
            return
        self.store.finish_mail(mail.id, "sent")

    def _wait(self, mail: Mail) -> str:
        """What the acknowledgement says of the wait: the desk's own estimate, support hours
        and queue included."""
        if mail.kind != "acknowledgement" or mail.event.case_id is None:
            return ""
        from assistant.handoff.case import Queues

        case = self.store.case(mail.event.case_id)
        return Queues(self.settings, self.store, lambda: datetime.now(UTC)).expected_wait(case).text

    def start(self, poll_seconds: float) -> None:
        self._poller = Poller("mail", self.run_once, poll_seconds)
        self._poller.start()

    def close(self) -> None:
        if self._poller is not None:
            self._poller.stop(timeout=30)

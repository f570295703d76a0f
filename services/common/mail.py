"""Mail: queued in the writer's transaction, delivered after commit by a relay that retries.

Each service that sends mail keeps its own `outgoing_mail` table in its own database: one class
maps them all, and `add_outgoing_mail` puts the table in each database's metadata.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from anyio import to_thread
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from services.common.db import as_utc, utcnow
from services.common.settings import MailSettingsMixin

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 20
RETRY_BASE_S = 1.0


class OutgoingMail(SQLModel, table=True):
    __tablename__ = "outgoing_mail"

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    body: str
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)


def add_outgoing_mail(metadata: MetaData) -> None:
    """Gives a database that sends mail the `outgoing_mail` table, identical in every one."""
    OutgoingMail.metadata.tables["outgoing_mail"].to_metadata(metadata)


def queue_mail(session: Session, recipient: str, subject: str, body: str) -> None:
    session.add(OutgoingMail(recipient=recipient, subject=subject, body=body))


def is_due(mail: OutgoingMail, now: datetime) -> bool:
    """A failed mail waits twice as long after each try (1 s, 3 s, 7 s… about six days before
    the last): an SMTP outage delays mail, it does not use up its tries in a few seconds."""
    return now - as_utc(mail.created_at) >= timedelta(seconds=RETRY_BASE_S * (2**mail.attempts - 1))


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class FileMailer:
    """Development and tests: each message is written as an .eml file in a folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow().strftime('%Y%m%dT%H%M%S%f')}-{message['X-Mail-Id']}.eml"
        (self.directory / name).write_bytes(bytes(message))


class SmtpMailer:
    def __init__(self, host: str, port: int, timeout_s: float = 10.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            smtp.send_message(message)


class MailRelay:
    def __init__(self, engine: Engine, mailer: Mailer, sender: str) -> None:
        self.engine, self.mailer, self.sender = engine, mailer, sender
        # The relay's loop and a caller delivering at once must not both send the same mail.
        self._delivering = threading.Lock()
        # With replicas, whether this one holds the mail lease: the others send nothing.
        self.may_send: Callable[[], bool] = lambda: True

    def deliver_pending(self, limit: int = 100) -> int:
        with self._delivering:
            return self._deliver(limit) if self.may_send() else 0

    def _deliver(self, limit: int) -> int:
        sent = 0
        with Session(self.engine) as session:
            # Fresh mails first: mails waiting out an outage must not hold them back.
            pending = session.exec(
                select(OutgoingMail)
                .where(col(OutgoingMail.sent_at).is_(None), OutgoingMail.attempts < MAX_ATTEMPTS)
                .order_by(col(OutgoingMail.attempts), col(OutgoingMail.id))
                .limit(limit * 5)
            ).all()
            now = utcnow()
            for mail in [m for m in pending if is_due(m, now)][:limit]:
                if not self.may_send():  # the lease was lost during the pass
                    break
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = (
                    self.sender,
                    mail.recipient,
                    mail.subject,
                )
                message["X-Mail-Id"] = str(mail.id)
                message.set_content(mail.body)
                try:
                    self.mailer.send(message)
                except (OSError, smtplib.SMTPException) as exc:
                    mail.attempts += 1
                    mail.last_error = f"{type(exc).__name__}: {exc}"[:500]
                    if mail.attempts >= MAX_ATTEMPTS:
                        logger.error("mail abandoned", extra={"mail_id": mail.id})
                    else:
                        logger.warning("mail not sent, will retry", extra={"mail_id": mail.id})
                else:
                    mail.sent_at = utcnow()
                    sent += 1
                session.add(mail)
                session.commit()
        return sent

    async def run(self, stop: asyncio.Event, interval_s: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await to_thread.run_sync(self.deliver_pending)
            except Exception:
                logger.exception("mail relay failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)


def make_mail_relay(engine: Engine, settings: MailSettingsMixin) -> MailRelay:
    """The relay of a service's outgoing mail: SMTP in production; .eml files in a folder in
    development and tests."""
    mailer: Mailer = (
        SmtpMailer(settings.smtp_host, settings.smtp_port)
        if settings.mail_backend == "smtp"
        else FileMailer(settings.mail_dir)
    )
    return MailRelay(engine, mailer, settings.mail_from)

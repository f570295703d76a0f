"""A real SMTP server's inbox (aiosmtpd) for the tests that follow e-mails."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from tests.support import wait_until


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str, subject: str = "") -> list[EmailMessage]:
        return [
            m
            for m in list(self.messages)
            if m["To"] == address and subject.lower() in str(m["Subject"]).lower()
        ]

    def wait_for(self, address: str, subject: str = "", saying: str = "") -> EmailMessage:
        def found() -> list[EmailMessage]:
            return [m for m in self.to(address, subject) if saying in body(m)]

        wait_until(lambda: bool(found()), timeout_s=30)
        return found()[-1]


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def links(message: EmailMessage) -> list[str]:
    return re.findall(r"https?://[^\s<>\"»]+", body(message))

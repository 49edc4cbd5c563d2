"""A real SMTP server (aiosmtpd on 127.0.0.1) for the tests of mails people act on
(invitations), and reading what it received: the token comes from the delivered mail."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
import socket
from collections.abc import Iterator
from datetime import datetime
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.config import Settings
from app.core.runtime import Runtime
from app.notifications.service.senders import LoggingSender, Senders, SmtpSender
from app.notifications.service.worker import DeliveryReport, deliver_due

TOKEN_IN_LINK = re.compile(r"/accept-invitation\?token=([A-Za-z0-9_\-]+)")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for _, rcpt, m in self.messages if address in rcpt]

    def last_to(self, address: str) -> Message:
        mails = self.to(address)
        assert mails, f"no mail to {address}: {[r for _, r, _ in self.messages]}"
        return mails[-1]


def text_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def token_in(message: Message) -> str:
    found = TOKEN_IN_LINK.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclasses.dataclass
class MailServer:
    inbox: Inbox
    settings: Settings

    async def deliver(self, runtime: Runtime, now: datetime | None = None) -> DeliveryReport:
        """`seddel worker`'s rounds against the SMTP server until nothing is due."""
        senders = Senders(push=LoggingSender(), email=SmtpSender(self.settings))
        total = DeliveryReport()
        while True:
            report = await deliver_due(
                sessions=runtime.sessions,
                senders=senders,
                settings=self.settings,
                now=now,
                batch=500,
            )
            assert report.failed == 0 and report.retried == 0, report.errors
            total.sent += report.sent
            if not report.handled:
                return total


@pytest.fixture
def mail(settings: Settings) -> Iterator[MailServer]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield MailServer(
            inbox=inbox,
            settings=dataclasses.replace(
                settings,
                smtp_host="127.0.0.1",
                smtp_port=port,
                smtp_from="Seddel <no-reply@seddel.example>",
            ),
        )
    finally:
        controller.stop()

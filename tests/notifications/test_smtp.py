"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1): sender and link, never the text."""

from __future__ import annotations

import dataclasses
import email
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from app.api.ids import decode
from app.db import utcnow
from app.notifications.service.senders import LoggingSender, Senders, SmtpSender
from app.notifications.service.worker import deliver_due
from tests.announcements.helpers import METTE, post
from tests.messaging.util import JONAS, PERNILLE, demo, started
from tests.notifications.helpers import outbox


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        parsed = email.message_from_bytes(envelope.content)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_the_digest_goes_through_smtp_with_sender_and_link_only(
    client, runtime, settings, smtp_server
):
    inbox, port = smtp_server
    smtp_settings = dataclasses.replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="Seddel <no-reply@seddel.example>",
    )
    made = await post(client, title="Forældremøde", body="Liva har haft en svær dag, ring til os.")
    chosen = Senders(push=LoggingSender(), email=SmtpSender(smtp_settings))
    report = await deliver_due(
        sessions=runtime.sessions,
        senders=chosen,
        settings=smtp_settings,
        now=utcnow() + timedelta(minutes=20),
    )
    assert report.failed == 0 and report.retried == 0
    to_mette = [m for m in inbox.messages if m[1] == [METTE]]
    assert len(to_mette) == 1
    mail_from, _, message = to_mette[0]
    assert mail_from == "no-reply@seddel.example"
    assert message["Subject"] == "Seddel: 1 nye"
    text = message.get_payload(decode=True).decode()
    assert "Pernille Holm" in text
    assert "http://127.0.0.1:8000/announcements/" in text
    assert "svær dag" not in text and "Forældremøde" not in text and "Liva" not in text
    assert message["Message-ID"].endswith("@seddel.example>")
    assert made["__typename"] == "Announcement"
    emails = [r for r in await outbox(runtime) if r.channel == "email"]
    assert emails and {r.status for r in emails} == {"sent"}


async def test_an_unreachable_smtp_server_is_retried(client, runtime, settings):
    down = dataclasses.replace(
        settings, smtp_host="127.0.0.1", smtp_port=_free_port(), smtp_timeout_seconds=2
    )
    await post(client)
    chosen = Senders(push=LoggingSender(), email=SmtpSender(down))
    report = await deliver_due(
        sessions=runtime.sessions,
        senders=chosen,
        settings=down,
        now=utcnow() + timedelta(minutes=20),
    )
    assert report.retried > 0 and report.sent > 0  # the pushes went, the e-mails wait
    emails = [r for r in await outbox(runtime) if r.channel == "email"]
    assert {r.status for r in emails} == {"pending"} and all("smtp" in r.last_error for r in emails)


async def test_a_new_message_is_mailed_with_its_sender_and_a_link_never_its_text(
    client, runtime, settings, smtp_server
):
    inbox, port = smtp_server
    smtp_settings = dataclasses.replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="Seddel <no-reply@seddel.example>",
    )
    d = await demo(client)
    (t,) = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen")]},
        subject="Liva i dag",
        body="Liva er faldet på legepladsen og har slået knæet.",
    )
    chosen = Senders(push=LoggingSender(), email=SmtpSender(smtp_settings))
    report = await deliver_due(
        sessions=runtime.sessions,
        senders=chosen,
        settings=smtp_settings,
        now=utcnow() + timedelta(minutes=20),
    )
    assert report.failed == 0 and report.retried == 0
    link = f"http://127.0.0.1:8000/threads/{decode(t['id'], 'Thread', field='x')}"
    for guardian in (METTE, JONAS):
        (mail,) = [m for _, to, m in inbox.messages if to == [guardian]]
        text = mail.get_payload(decode=True).decode()
        assert "Pernille Holm" in text and link in text
        for secret in ("knæet", "legepladsen", "Liva"):
            assert secret not in text and secret not in mail["Subject"]
    assert not [m for m in inbox.messages if m[1] == [PERNILLE]]  # never to the sender
    emails = [r for r in await outbox(runtime, kind="message") if r.channel == "email"]
    assert emails and {r.status for r in emails} == {"sent"}

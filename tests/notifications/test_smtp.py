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


class WorkerDied(BaseException):
    """What kill -9 looks like from inside: nothing after the hand-over runs."""


class DiesAfterHandOver:
    def __init__(self, smtp: SmtpSender) -> None:
        self.smtp = smtp

    async def send_email(self, email) -> None:
        await self.smtp.send_email(email)
        raise WorkerDied()


def _ids_and_counts(inbox: Inbox, to: str) -> list[tuple[str, str]]:
    return [(m["Message-ID"], m["Subject"]) for _, rcpt, m in inbox.messages if rcpt == [to]]


async def test_a_digest_resent_after_the_worker_died_keeps_its_message_id(
    client, runtime, settings, smtp_server
):
    """Handed to SMTP, then the worker dies before marking the rows sent; a new item arrives.
    The resend holds exactly the first digest's rows under the same Message-ID (a receiver
    that deduplicates shows it once); the new item goes in a mail of its own."""
    inbox, port = smtp_server
    smtp_settings = dataclasses.replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, smtp_from="no-reply@seddel.example"
    )
    smtp = SmtpSender(smtp_settings)
    await post(client, title="Første")
    start = utcnow() + timedelta(minutes=20)
    with pytest.raises(WorkerDied):
        await deliver_due(
            sessions=runtime.sessions,
            senders=Senders(push=LoggingSender(), email=DiesAfterHandOver(smtp)),
            settings=smtp_settings,
            now=start,
        )
    ((first_id, first_subject),) = _ids_and_counts(inbox, METTE)
    assert first_subject == "Seddel: 1 nye" and first_id.endswith("@seddel.example>")
    await post(client, title="Andet")  # arrives while the first digest is unconfirmed
    after_lease = start + timedelta(seconds=smtp_settings.notify_lease_seconds, minutes=20)
    report = await deliver_due(
        sessions=runtime.sessions,
        senders=Senders(push=LoggingSender(), email=smtp),
        settings=smtp_settings,
        now=after_lease,
    )
    assert report.failed == 0 and report.retried == 0
    mails = _ids_and_counts(inbox, METTE)
    assert len(mails) == 3
    assert mails.count((first_id, "Seddel: 1 nye")) == 2  # the same mail, the same id
    (new_id,) = {mail_id for mail_id, _ in mails} - {first_id}
    emails = [r for r in await outbox(runtime) if r.channel == "email"]
    assert {r.status for r in emails} == {"sent"}
    mette_rows = [r for r in emails if r.email_message_id in (first_id, new_id)]
    assert sorted(r.email_message_id == first_id for r in mette_rows) == [False, True]
    # And it stays the row's: nothing is sent again.
    again = await deliver_due(
        sessions=runtime.sessions,
        senders=Senders(push=LoggingSender(), email=smtp),
        settings=smtp_settings,
        now=after_lease + timedelta(days=1),
    )
    assert again.handled == 0 and len(_ids_and_counts(inbox, METTE)) == 3


async def test_every_kind_is_digested_by_the_one_setting(client, runtime, settings, smtp_server):
    """SEDDEL_EMAIL_DIGEST_MINUTES holds messages back as it does announcements."""
    inbox, port = smtp_server
    hourly = dataclasses.replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, email_digest_minutes=60
    )
    runtime.settings = hourly  # what the server's sessions see
    d = await demo(client)
    await started(client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]})
    await post(client, title="Forældremøde")
    chosen = Senders(push=LoggingSender(), email=SmtpSender(hourly))
    now = utcnow()
    early = await deliver_due(
        sessions=runtime.sessions, senders=chosen, settings=hourly, now=now + timedelta(minutes=30)
    )
    assert early.sent > 0  # the pushes
    assert not inbox.messages
    emails = [r for r in await outbox(runtime) if r.channel == "email"]
    assert {r.kind for r in emails} == {"message", "announcement"}
    assert all(r.due_at >= now + timedelta(minutes=59) for r in emails)
    await deliver_due(
        sessions=runtime.sessions, senders=chosen, settings=hourly, now=now + timedelta(minutes=61)
    )
    (mail,) = [m for _, to, m in inbox.messages if to == [METTE]]
    assert mail["Subject"] == "Seddel: 2 nye"  # the message and the announcement, one digest

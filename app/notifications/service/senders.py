"""Pluggable senders: how a notification leaves the building.

A sender gets everything it needs in one value (no database): a push carries a title, a
preview that is None for sensitive content, and a link; an e-mail digest carries the sender
names and links, never a message's text (children's data does not belong in mail servers).
Every delivery has an idempotency key: a push API that deduplicates by key (APNs'
apns-collapse-id, FCM's message id) gets it, e-mails carry it as their Message-ID."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr
from typing import Protocol

import aiosmtplib

from app.config import Settings, push_platforms_configured
from app.notifications.service.push import DeviceSender, create_device_senders
from app.notifications.service.sms import HttpSmsSender, SmsSender, sms_configured

log = logging.getLogger("seddel.notifications")


class DeliveryFailed(Exception):
    """The channel refused or could not be reached: the worker retries with backoff."""


@dataclass(frozen=True)
class PushNotification:
    idempotency_key: str
    user_id: uuid.UUID
    title: str
    body: str  # the preview, or a neutral text when the content is sensitive
    link: str


@dataclass(frozen=True)
class DigestItem:
    kind: str
    sender_name: str
    link: str


@dataclass(frozen=True)
class DigestEmail:
    idempotency_key: str  # the Message-ID, "<…@domain>", kept on the outbox rows
    to_address: str
    to_name: str
    subject: str
    text: str
    items: tuple[DigestItem, ...]


class PushSender(Protocol):
    async def send_push(self, push: PushNotification) -> None: ...


class EmailSender(Protocol):
    async def send_email(self, email: DigestEmail) -> None: ...


@dataclass
class LoggingSender:
    """The default of both channels: logs what it would send (never the text of a
    sensitive item, which it never gets) and keeps it for tests."""

    pushes: list[PushNotification] = field(default_factory=list)
    emails: list[DigestEmail] = field(default_factory=list)

    async def send_push(self, push: PushNotification) -> None:
        self.pushes.append(push)
        log.info("push %s to %s: %s", push.idempotency_key, push.user_id, push.title)

    async def send_email(self, email: DigestEmail) -> None:
        self.emails.append(email)
        log.info("e-mail digest %s with %d items", email.idempotency_key, len(email.items))


def message_id_domain(settings: Settings) -> str:
    """The right-hand side of the Message-IDs of our e-mails: the domain we send from."""
    return settings.smtp_from.rsplit("@", 1)[-1].strip(" >") or "seddel.invalid"


class SmtpSender:
    """E-mail through an SMTP server (aiosmtplib), with the idempotency key as Message-ID."""

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("SmtpSender needs SEDDEL_SMTP_HOST")
        self.settings = settings

    def message(self, email: DigestEmail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = formataddr((email.to_name, email.to_address))
        message["Subject"] = email.subject
        # Stored on the outbox rows before the first hand-over: a resend after a crash
        # between sending and marking it sent is recognised as a duplicate by mail clients.
        message["Message-ID"] = email.idempotency_key
        message["X-Seddel-Idempotency-Key"] = email.idempotency_key
        message.set_content(email.text)
        return message

    async def send_email(self, email: DigestEmail) -> None:
        s = self.settings
        try:
            await aiosmtplib.send(
                self.message(email),
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password,
                use_tls=s.smtp_security == "tls",
                start_tls=s.smtp_security == "starttls",
                timeout=s.smtp_timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"smtp: {type(exc).__name__}: {exc}"[:400]) from exc


@dataclass
class Senders:
    email: EmailSender
    # Per platform (ios, android, web): the providers' senders (app.notifications.service.push).
    devices: dict[str, DeviceSender] = field(default_factory=dict)
    # A stand-in for the whole device fan-out, one call per user: tests of the outbox's own
    # rules (quiet hours, retries, leases) use it. Never set by `create_senders`.
    push: PushSender | None = None
    # Urgent SMS through the HTTP gateway (app.notifications.service.sms); None: not configured.
    sms: SmsSender | None = None

    async def aclose(self) -> None:
        for sender in self.devices.values():
            await sender.aclose()
        if self.sms is not None:
            await self.sms.aclose()


def live_senders(settings: Settings) -> list[str]:
    """What /health/ready lists: the channels and push platforms that really deliver."""
    live = ["email"] if settings.email_enabled and settings.smtp_host else []
    if settings.push_enabled:
        live += [f"push:{platform}" for platform in push_platforms_configured(settings)]
    if sms_configured(settings):
        live.append("sms")
    return live


def create_senders(settings: Settings) -> Senders:
    """SMTP for e-mail when SEDDEL_SMTP_HOST is set (a logging sender in development); push
    through each platform whose credentials are configured (the others are off and the log
    says so). Production refuses to start without them (app.config)."""
    email: EmailSender = SmtpSender(settings) if settings.smtp_host else LoggingSender()
    if not sms_configured(settings):
        log.warning("urgent SMS is off: SEDDEL_SMS_GATEWAY_URL and its credentials are not set")
    return Senders(
        email=email,
        devices=create_device_senders(settings),
        sms=HttpSmsSender(settings) if sms_configured(settings) else None,
    )

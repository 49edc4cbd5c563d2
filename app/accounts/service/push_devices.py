"""Push registrations of the apps: an iOS device token (APNs), an Android registration token
(FCM) or a browser's Web Push subscription, for the signed-in user and session.

One token is one row (its SHA-256 is unique): registering a token another user registered
moves it (a shared family tablet: the new user signs in), so one notification never reaches
two people's devices. A registration belongs to the session that made it; revoking the
session removes it (`forget_sessions_devices`), and the worker sends only to devices of live
sessions, so an expired session stops receiving too.

A Web Push endpoint is a URL the server will POST to: only HTTPS, and never to an address of
our own network (SSRF). The literal address is checked here; the sender checks it again."""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import PUSH_PLATFORMS, AuthSession, PushDevice
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.db import utcnow, write_transaction

APNS_TOKEN = re.compile(r"^[0-9a-fA-F]{64,200}$")
FCM_TOKEN = re.compile(r"^[A-Za-z0-9_:\-]{20,1024}$")
LANGUAGES = ("da", "en")
MAX_ENDPOINT_LENGTH = 2048
# Host names that never name a push service on the internet.
PRIVATE_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home.arpa", ".invalid")


@dataclass(frozen=True)
class WebPushSubscription:
    endpoint: str
    p256dh: str
    auth: str


def _b64url(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def is_public_push_endpoint(endpoint: str, *, allow_private: bool = False) -> bool:
    """HTTPS to a public host name or address: no loopback, private, link-local, reserved or
    multicast address, no single-label or local name. `allow_private` (tests only) admits
    http to 127.0.0.1, where the test receiver listens."""
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return False
    if parts.username or parts.password or not host:
        return False
    if allow_private:
        return parts.scheme in ("https", "http")
    if parts.scheme != "https":
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        name = host.lower().rstrip(".")
        return "." in name and name != "localhost" and not name.endswith(PRIVATE_SUFFIXES)
    return address.is_global and not address.is_multicast


def _validated(
    platform: str,
    token: str | None,
    web_push: WebPushSubscription | None,
    app_version: str | None,
    language: str,
    allow_private: bool,
) -> tuple[str, str | None, str | None]:
    """The token (or endpoint) and Web Push keys, or a typed refusal."""
    if platform not in PUSH_PLATFORMS:
        raise ValidationFailed("invalid_push_platform", field="platform")
    if language not in LANGUAGES:
        raise ValidationFailed("invalid_language", field="language")
    if app_version is not None and len(app_version) > 40:
        raise ValidationFailed("too_long", field="appVersion", max=40)
    if platform == "web":
        if web_push is None or token is not None:
            raise ValidationFailed("invalid_push_subscription", field="webPush")
        endpoint = web_push.endpoint.strip()
        if len(endpoint) > MAX_ENDPOINT_LENGTH or not is_public_push_endpoint(
            endpoint, allow_private=allow_private
        ):
            raise ValidationFailed("push_endpoint_refused", field="webPush.endpoint")
        key = _b64url(web_push.p256dh)
        if key is None or len(key) != 65 or key[0] != 4:
            raise ValidationFailed("invalid_push_subscription", field="webPush.p256dh")
        secret = _b64url(web_push.auth)
        if secret is None or len(secret) != 16:
            raise ValidationFailed("invalid_push_subscription", field="webPush.auth")
        return endpoint, web_push.p256dh, web_push.auth
    if web_push is not None or token is None:
        raise ValidationFailed("invalid_push_token", field="token")
    pattern = APNS_TOKEN if platform == "ios" else FCM_TOKEN
    if not pattern.fullmatch(token):
        raise ValidationFailed("invalid_push_token", field="token")
    return (token.lower() if platform == "ios" else token), None, None


def token_key(platform: str, token: str) -> str:
    return hashlib.sha256(f"{platform}\n{token}".encode()).hexdigest()


async def register_push_device(
    *,
    db: AsyncSession,
    actor: Actor,
    platform: str,
    token: str | None = None,
    web_push: WebPushSubscription | None = None,
    app_version: str | None = None,
    language: str = "da",
    allow_private_endpoints: bool = False,
) -> PushDevice:
    """Register (or refresh) the app's push token for the actor's own session. A token that
    another user or session registered moves here: it was that device's, now it is ours."""
    if actor.session_id is None or actor.device is not None:
        raise NotFound(field="platform")  # a paired tablet's own session gets no pushes
    value, p256dh, auth = _validated(
        platform, token, web_push, app_version, language, allow_private_endpoints
    )
    key = token_key(platform, value)
    now = utcnow()
    async with write_transaction(db):
        device = await db.scalar(
            select(PushDevice).where(PushDevice.token_key == key).with_for_update()
        )
        if device is None:
            device = PushDevice(platform=platform, token=value, token_key=key, created_at=now)
            db.add(device)
        device.user_id = actor.user_id
        device.session_id = actor.session_id
        device.p256dh, device.auth_secret = p256dh, auth
        device.app_version = app_version
        device.language = language
        device.registered_at = now
    return device


async def unregister_push_device(
    *, db: AsyncSession, actor: Actor, device_id: uuid.UUID
) -> uuid.UUID:
    """Remove one of the actor's own registrations (any of their sessions')."""
    async with write_transaction(db):
        result = await db.execute(
            delete(PushDevice).where(
                PushDevice.id == device_id, PushDevice.user_id == actor.user_id
            )
        )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound(field="deviceId")
    return device_id


async def my_push_devices(*, db: AsyncSession, actor: Actor) -> list[PushDevice]:
    """The actor's registrations on live sessions, newest first."""
    now = utcnow()
    rows = await db.execute(
        select(PushDevice)
        .join(AuthSession, AuthSession.id == PushDevice.session_id)
        .where(
            PushDevice.user_id == actor.user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
        .order_by(PushDevice.registered_at.desc(), PushDevice.id)
    )
    return list(rows.scalars().all())


async def forget_sessions_devices(db: AsyncSession, session_ids: Collection[uuid.UUID]) -> None:
    """Revoked sessions take their push registrations with them (in the caller's
    transaction)."""
    if session_ids:
        await db.execute(delete(PushDevice).where(PushDevice.session_id.in_(session_ids)))


async def forget_devices(db: AsyncSession, device_ids: Collection[uuid.UUID]) -> None:
    """The provider said the token is gone (APNs Unregistered, FCM UNREGISTERED, 410)."""
    if device_ids:
        await db.execute(delete(PushDevice).where(PushDevice.id.in_(device_ids)))


async def forget_other_sessions_devices(
    db: AsyncSession, user_id: uuid.UUID, keep_session: uuid.UUID | None
) -> None:
    """A password change revokes every other session: their registrations go with them."""
    statement = delete(PushDevice).where(PushDevice.user_id == user_id)
    if keep_session is not None:
        statement = statement.where(PushDevice.session_id != keep_session)
    await db.execute(statement)

"""Push to devices on the providers' own protocols: APNs (HTTP/2, ES256 provider token),
FCM HTTP v1 (OAuth2 service account) and Web Push (VAPID, RFC 8291 encryption).

A sender gets one `DevicePush` (one notification for one device, no database) and answers
with a `PushOutcome` in the worker's words, whatever the provider said:
- delivered: accepted, with the provider's id;
- gone: the token is dead (APNs 410 / BadDeviceToken, FCM UNREGISTERED, Web Push 404/410):
  the worker deletes the device;
- rejected: the request itself is wrong (400 and friends): given up, with the reason;
- retry: throttled or the provider is down (429, 5xx, a network error): the worker retries
  with the outbox's backoff, no sooner than the provider's Retry-After.
Every push carries the delivery's own id (`push_id`, the same on every retry of that device:
apns-id, FCM's data and collapse key, Web Push's Topic) so a resend after a crash is the same
notification to the device, never a second one."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx
import jwt
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import service_account
from py_vapid import Vapid02
from pywebpush import WebPusher

from app.accounts.service.push_devices import is_public_push_endpoint
from app.config import Settings, push_platforms_configured

log = logging.getLogger("seddel.notifications.push")

Status = Literal["delivered", "gone", "rejected", "retry"]
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# APNs accepts a provider token for an hour and refuses one renewed more often than every
# twenty minutes: renew after 50.
APNS_TOKEN_SECONDS = 50 * 60


@dataclass(frozen=True)
class PushDevice:
    """Where to: the registration as the sender needs it."""

    id: uuid.UUID
    platform: str
    token: str  # APNs/FCM token, or the Web Push endpoint
    p256dh: str | None = None
    auth: str | None = None


@dataclass(frozen=True)
class DevicePush:
    push_id: uuid.UUID  # the same for this notification and device on every attempt
    device: PushDevice
    title: str
    body: str
    collapse_id: str  # one per thread or subject: a newer push replaces an older one
    data: dict[str, str] = field(default_factory=dict)  # the Relay ID the app opens, the kind
    badge: int | None = None
    urgent: bool = False


@dataclass(frozen=True)
class PushOutcome:
    status: Status
    provider_id: str | None = None
    reason: str | None = None
    retry_after: float | None = None  # seconds, from the provider's Retry-After


class DeviceSender(Protocol):
    platform: str

    async def send(self, push: DevicePush) -> PushOutcome: ...

    async def aclose(self) -> None: ...


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _reason(response: httpx.Response, *path: str) -> str:
    """The provider's reason (a JSON field), else the start of its answer."""
    try:
        value: Any = response.json()
        for key in path:
            value = value[key]
        return f"{response.status_code} {value}"[:400]
    except (ValueError, KeyError, IndexError, TypeError):
        return f"{response.status_code} {response.text[:200]}"


def _transient(response: httpx.Response, reason: str) -> PushOutcome:
    return PushOutcome("retry", reason=reason, retry_after=retry_after(response))


class ApnsSender:
    """APNs over HTTP/2 with token-based auth: a JWT signed ES256 with the .p8 key."""

    platform = "ios"

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        assert settings.apns_key and settings.apns_key_id and settings.apns_team_id
        self.settings = settings
        self.base = settings.apns_url.rstrip("/")
        # http1=False: HTTP/2 only, as APNs requires (over cleartext: prior knowledge).
        self.client = client or httpx.AsyncClient(
            http1=False, http2=True, timeout=settings.push_timeout_seconds
        )
        self._token: tuple[float, str] | None = None

    def provider_token(self, *, renew: bool = False) -> str:
        now = time.time()
        if renew or self._token is None or now - self._token[0] > APNS_TOKEN_SECONDS:
            s = self.settings
            token = jwt.encode(
                {"iss": s.apns_team_id, "iat": int(now)},
                s.apns_key,  # type: ignore[arg-type]
                algorithm="ES256",
                headers={"kid": s.apns_key_id},
            )
            self._token = (now, token)
        return self._token[1]

    def payload(self, push: DevicePush) -> dict[str, Any]:
        aps: dict[str, Any] = {
            "alert": {"title": push.title, "body": push.body},
            "sound": "default",
            "thread-id": push.collapse_id,
        }
        if push.badge is not None:
            aps["badge"] = push.badge
        if push.urgent:
            aps["interruption-level"] = "time-sensitive"
        return {"aps": aps, **push.data}

    async def send(self, push: DevicePush, *, renewed: bool = False) -> PushOutcome:
        headers = {
            "authorization": f"bearer {self.provider_token(renew=renewed)}",
            "apns-topic": self.settings.apns_topic or "",
            "apns-push-type": "alert",
            "apns-id": str(push.push_id),
            "apns-collapse-id": push.collapse_id[:64],
            "apns-priority": "10",
            "apns-expiration": str(int(time.time()) + 24 * 3600),
        }
        try:
            response = await self.client.post(
                f"{self.base}/3/device/{push.device.token}",
                content=json.dumps(self.payload(push), ensure_ascii=False).encode(),
                headers=headers,
            )
        except httpx.HTTPError as exc:
            return PushOutcome("retry", reason=f"apns: {type(exc).__name__}: {exc}"[:400])
        reason = _reason(response, "reason")
        if response.status_code == 200:
            # APNs answers with the apns-id it knows the notification by: the one we sent.
            return PushOutcome(
                "delivered", provider_id=response.headers.get("apns-id") or str(push.push_id)
            )
        if response.status_code == 410 or "BadDeviceToken" in reason or "Unregistered" in reason:
            return PushOutcome("gone", reason=reason)
        if response.status_code == 403 and "ExpiredProviderToken" in reason and not renewed:
            return await self.send(push, renewed=True)
        if response.status_code == 429 or response.status_code >= 500:
            return _transient(response, reason)
        return PushOutcome("rejected", reason=reason)

    async def aclose(self) -> None:
        await self.client.aclose()


class FcmSender:
    """FCM HTTP v1: OAuth2 access tokens from the service account (google-auth), httpx."""

    platform = "android"

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        assert settings.fcm_credentials
        info = json.loads(settings.fcm_credentials)
        self.project_id: str = info["project_id"]
        self.credentials = service_account.Credentials.from_service_account_info(
            info, scopes=[FCM_SCOPE]
        )
        self.base = settings.fcm_url.rstrip("/")
        self.client = client or httpx.AsyncClient(timeout=settings.push_timeout_seconds)
        self._refreshing = asyncio.Lock()

    async def access_token(self, *, renew: bool = False) -> str:
        async with self._refreshing:
            if renew or not self.credentials.valid:
                # google-auth refreshes synchronously (its requests transport): off the loop.
                await asyncio.to_thread(self.credentials.refresh, GoogleRequest())
            return str(self.credentials.token)

    def message(self, push: DevicePush) -> dict[str, Any]:
        return {
            "message": {
                "token": push.device.token,
                "notification": {"title": push.title, "body": push.body},
                # FCM data values are strings; the push id lets the app drop a resend.
                "data": {**push.data, "push_id": str(push.push_id)},
                "android": {
                    "collapse_key": push.collapse_id[:64],
                    "priority": "high" if push.urgent else "normal",
                    "notification": {"tag": push.collapse_id[:64]}
                    | ({"notification_count": push.badge} if push.badge is not None else {}),
                },
            }
        }

    async def send(self, push: DevicePush, *, renewed: bool = False) -> PushOutcome:
        try:
            token = await self.access_token(renew=renewed)
            response = await self.client.post(
                f"{self.base}/v1/projects/{self.project_id}/messages:send",
                json=self.message(push),
                headers={"authorization": f"Bearer {token}"},
            )
        except (httpx.HTTPError, OSError) as exc:
            return PushOutcome("retry", reason=f"fcm: {type(exc).__name__}: {exc}"[:400])
        except Exception as exc:  # google.auth's RefreshError and transport errors
            return PushOutcome("retry", reason=f"fcm token: {type(exc).__name__}: {exc}"[:400])
        if response.status_code == 200:
            return PushOutcome("delivered", provider_id=_fcm_name(response))
        reason = _reason(response, "error", "status")
        if response.status_code == 401 and not renewed:
            return await self.send(push, renewed=True)
        if response.status_code == 404 or "UNREGISTERED" in response.text:
            return PushOutcome("gone", reason=reason)
        if response.status_code == 429 or response.status_code >= 500:
            return _transient(response, reason)
        return PushOutcome("rejected", reason=reason)

    async def aclose(self) -> None:
        await self.client.aclose()


def _fcm_name(response: httpx.Response) -> str | None:
    """The message's name FCM gives ("projects/p/messages/id"), if it gave one."""
    try:
        name = response.json().get("name")
    except (ValueError, AttributeError):
        return None
    return str(name) if name else None


class WebPushSender:
    """Web Push: the payload encrypted for the subscription (RFC 8291, aes128gcm, by
    pywebpush), a VAPID JWT (RFC 8292, py-vapid) for the push service's origin."""

    platform = "web"

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        assert settings.webpush_vapid_private_key
        key = settings.webpush_vapid_private_key.strip()
        self.vapid = (
            Vapid02.from_pem(key.encode()) if key.startswith("-----") else Vapid02.from_string(key)
        )
        self.subject = settings.webpush_vapid_subject
        self.allow_private = settings.push_allow_private_endpoints
        self.client = client or httpx.AsyncClient(timeout=settings.push_timeout_seconds)

    def headers(self, push: DevicePush) -> dict[str, str]:
        parts = urlsplit(push.device.token)
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int(time.time()) + 12 * 3600,
            "sub": self.subject,
        }
        return {
            **self.vapid.sign(claims),
            "TTL": str(24 * 3600),
            "Urgency": "high" if push.urgent else "normal",
            # A newer message with the same Topic replaces one not yet delivered: the push id
            # (32 base64url characters at most), so a resend replaces its own first copy.
            "Topic": push.push_id.hex,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }

    async def send(self, push: DevicePush) -> PushOutcome:
        device = push.device
        # Checked at registration, checked again: the endpoint is a URL we POST to.
        if not is_public_push_endpoint(device.token, allow_private=self.allow_private):
            return PushOutcome("gone", reason="endpoint not a public HTTPS push service")
        payload = json.dumps(
            {
                "title": push.title,
                "body": push.body,
                "tag": push.collapse_id,
                "push_id": str(push.push_id),
                **({"badge": push.badge} if push.badge is not None else {}),
                **push.data,
            },
            ensure_ascii=False,
        ).encode()
        subscription = {
            "endpoint": device.token,
            "keys": {"p256dh": device.p256dh, "auth": device.auth},
        }
        try:
            body = WebPusher(subscription).encode(payload, "aes128gcm")["body"]
            response = await self.client.post(
                device.token, content=body, headers=self.headers(push)
            )
        except httpx.HTTPError as exc:
            return PushOutcome("retry", reason=f"webpush: {type(exc).__name__}: {exc}"[:400])
        except Exception as exc:  # a subscription key the encryption refuses
            return PushOutcome("rejected", reason=f"webpush: {type(exc).__name__}: {exc}"[:400])
        if response.status_code in (200, 201, 202):
            return PushOutcome("delivered", provider_id=response.headers.get("location"))
        reason = _reason(response)
        if response.status_code in (404, 410):
            return PushOutcome("gone", reason=reason)
        if response.status_code == 429 or response.status_code >= 500:
            return _transient(response, reason)
        return PushOutcome("rejected", reason=reason)

    async def aclose(self) -> None:
        await self.client.aclose()


def create_device_senders(settings: Settings) -> dict[str, DeviceSender]:
    """A sender for each platform whose credentials are there; the others are off, and the
    log says so once, at start."""
    if not settings.push_enabled:
        log.warning("push is switched off (SEDDEL_PUSH_ENABLED=0)")
        return {}
    configured = push_platforms_configured(settings)
    senders: dict[str, DeviceSender] = {}
    makers: dict[str, Callable[[Settings], DeviceSender]] = {
        "ios": ApnsSender,
        "android": FcmSender,
        "web": WebPushSender,
    }
    for platform, maker in makers.items():
        if platform in configured:
            senders[platform] = maker(settings)
        else:
            log.warning("push to %s is off: its credentials are not configured", platform)
    return senders

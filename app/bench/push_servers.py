"""Push providers on 127.0.0.1, speaking their protocols, for the tests and the worker bench
(app.bench.push; here so the bench imports no tests): one ASGI app served
by hypercorn (HTTP/2 over cleartext with prior knowledge, and HTTP/1.1) in a thread.

- APNs: `POST /3/device/<token>` over HTTP/2 only; checks the provider JWT (ES256, signed
  with the test .p8 key, kid and iss), apns-topic, apns-push-type, apns-id and the JSON.
- OAuth2 token endpoint: `POST /token`, checks the service account's JWT assertion (RS256
  with its key, Google's audience) and hands out a bearer token.
- FCM HTTP v1: `POST /v1/projects/<id>/messages:send`, checks that bearer and the message.
- Web Push: `POST /push/<subscription>`, checks the VAPID JWT (RFC 8292) and DECRYPTS the
  RFC 8291 payload with the subscription's private key.
Each records what it accepted; `answers` makes a token or subscription answer 400/410/429."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.bench.push_keys import BrowserKeys, b64url
from app.bench.served import ServedInThread, free_port

APNS_KEY_ID = "TESTKEY123"
APNS_TEAM_ID = "TEAM123456"
APNS_TOPIC = "dk.seddel.app"
FCM_PROJECT = "seddel-test"
VAPID_SUBJECT = "mailto:drift@seddel.example"


def _pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass
class Received:
    platform: str
    device: str  # APNs/FCM token or Web Push subscription name
    push_id: str
    collapse: str | None
    payload: dict[str, Any]
    headers: dict[str, str]


@dataclass
class PushProviders:
    port: int
    apns_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    service_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    vapid_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    received: list[Received] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (what, why): checks failed
    # token / subscription -> (status, JSON body, headers) to answer instead of accepting
    answers: dict[str, tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=dict)
    browsers: dict[str, BrowserKeys] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    delay: float = 0.0  # seconds between accepting a push and answering (the crash tests)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.received.clear()
        self.refused.clear()
        self.answers.clear()
        self.delay = 0.0

    def credentials(self) -> str:
        return json.dumps(
            {
                "type": "service_account",
                "project_id": FCM_PROJECT,
                "private_key_id": "k1",
                "private_key": _pem(self.service_key),
                "client_email": "seddel@seddel-test.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": f"{self.base}/token",
            }
        )

    def settings(self, settings: Any) -> Any:
        import dataclasses

        return dataclasses.replace(
            settings,
            apns_url=self.base,
            apns_key=_pem(self.apns_key),
            apns_key_id=APNS_KEY_ID,
            apns_team_id=APNS_TEAM_ID,
            apns_topic=APNS_TOPIC,
            fcm_url=self.base,
            fcm_credentials=self.credentials(),
            webpush_vapid_private_key=_pem(self.vapid_key),
            webpush_vapid_subject=VAPID_SUBJECT,
            push_allow_private_endpoints=True,
            push_timeout_seconds=5.0,
        )

    def subscription(self, name: str) -> tuple[str, BrowserKeys]:
        keys = self.browsers.setdefault(name, BrowserKeys.new())
        return f"{self.base}/push/{name}", keys

    # The ASGI app -----------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path: str = scope["path"]
        if path == "/token":
            status, answer, extra = self._token(body)
        else:
            if path.startswith("/3/device/"):
                status, answer, extra = self._apns(scope, headers, path, body)
            elif path == f"/v1/projects/{FCM_PROJECT}/messages:send":
                status, answer, extra = self._fcm(headers, body)
            elif path.startswith("/push/"):
                status, answer, extra = self._webpush(headers, path, body)
            else:
                status, answer, extra = 404, {"error": "no such endpoint"}, {}
            if self.delay:  # accepted and recorded; the answer is slow to come back
                await asyncio.sleep(self.delay)
        raw = json.dumps(answer).encode() if answer else b""
        out = [(b"content-type", b"application/json")]
        out += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": raw})

    def _refuse(
        self, what: str, why: str, status: int = 400
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        self.refused.append((what, why))
        return status, {"reason": why}, {}

    def _apns(self, scope, headers, path, body):  # type: ignore[no-untyped-def]
        token = path.removeprefix("/3/device/")
        if scope.get("http_version") != "2":
            return self._refuse("apns", f"HTTP/{scope.get('http_version')}, not HTTP/2")
        auth = headers.get("authorization", "")
        if not auth.startswith("bearer "):
            return self._refuse("apns", "MissingProviderToken", 403)
        provider_token = auth.removeprefix("bearer ")
        try:
            if jwt.get_unverified_header(provider_token).get("kid") != APNS_KEY_ID:
                return self._refuse("apns", "InvalidProviderToken kid", 403)
            claims = jwt.decode(provider_token, self.apns_key.public_key(), algorithms=["ES256"])
        except jwt.PyJWTError as exc:
            return self._refuse("apns", f"InvalidProviderToken {exc}", 403)
        if claims.get("iss") != APNS_TEAM_ID or abs(time.time() - claims["iat"]) > 3600:
            return self._refuse("apns", "InvalidProviderToken claims", 403)
        if headers.get("apns-topic") != APNS_TOPIC:
            return self._refuse("apns", "TopicDisallowed")
        if headers.get("apns-push-type") != "alert":
            return self._refuse("apns", "InvalidPushType")
        try:
            apns_id = str(uuid.UUID(headers["apns-id"]))
            payload = json.loads(body)
            alert = payload["aps"]["alert"]
            assert isinstance(alert["title"], str) and isinstance(alert["body"], str)
        except (KeyError, ValueError, AssertionError, TypeError):
            return self._refuse("apns", "BadPayload")
        if token in self.answers:
            return self.answers[token]
        self.received.append(
            Received("ios", token, apns_id, headers.get("apns-collapse-id"), payload, headers)
        )
        return 200, {}, {"apns-id": apns_id}

    def _token(self, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self._refuse("token", "unsupported_grant_type")
        try:
            claims = jwt.decode(
                form["assertion"],
                self.service_key.public_key(),
                algorithms=["RS256"],
                # google-auth names Google's token endpoint as the audience wherever it posts.
                audience="https://oauth2.googleapis.com/token",
            )
        except (KeyError, jwt.PyJWTError) as exc:
            return self._refuse("token", f"invalid_grant {exc}")
        if "firebase.messaging" not in claims.get("scope", ""):
            return self._refuse("token", "invalid_scope")
        self.token_requests += 1
        token = secrets.token_urlsafe(24)
        self.access_tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}, {}

    def _fcm(self, headers, body):  # type: ignore[no-untyped-def]
        auth = headers.get("authorization", "")
        if auth.removeprefix("Bearer ") not in self.access_tokens:
            return self._refuse("fcm", "UNAUTHENTICATED", 401)
        try:
            message = json.loads(body)["message"]
            token = message["token"]
            assert isinstance(message["notification"]["title"], str)
            assert all(isinstance(v, str) for v in message["data"].values())
        except (KeyError, ValueError, AssertionError, TypeError):
            return self._refuse("fcm", "INVALID_ARGUMENT")
        if token in self.answers:
            return self.answers[token]
        self.received.append(
            Received(
                "android",
                token,
                message["data"]["push_id"],
                message["android"]["collapse_key"],
                message,
                headers,
            )
        )
        return 200, {"name": f"projects/{FCM_PROJECT}/messages/{len(self.received)}"}, {}

    def _webpush(self, headers, path, body):  # type: ignore[no-untyped-def]
        name = path.removeprefix("/push/")
        keys = self.browsers.get(name)
        if keys is None:
            return 404, {}, {}
        try:
            scheme, rest = headers["authorization"].split(" ", 1)
            parts = dict(p.strip().split("=", 1) for p in rest.split(","))
            assert scheme == "vapid"
            vapid_public = self.vapid_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
            assert parts["k"] == b64url(vapid_public), "not our VAPID key"
            public = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), base64.urlsafe_b64decode(parts["k"] + "==")
            )
            claims = jwt.decode(parts["t"], public, algorithms=["ES256"], audience=self.base)
            assert claims["sub"] == VAPID_SUBJECT and claims["exp"] > time.time()
        except (KeyError, ValueError, AssertionError, jwt.PyJWTError) as exc:
            return self._refuse("webpush", f"VAPID {type(exc).__name__} {exc}", 403)
        if headers.get("content-encoding") != "aes128gcm" or "ttl" not in headers:
            return self._refuse("webpush", "headers")
        try:
            clear = http_ece.decrypt(
                body,
                private_key=keys.private_key,
                auth_secret=keys.auth,
                version="aes128gcm",
            )
            payload = json.loads(clear)
        except Exception as exc:  # the payload must decrypt with the subscription's key
            return self._refuse("webpush", f"decrypt {type(exc).__name__} {exc}")
        if name in self.answers:
            return self.answers[name]
        self.received.append(
            Received("web", name, payload["push_id"], headers.get("topic"), payload, headers)
        )
        return 201, {}, {"location": f"{self.base}/messages/{len(self.received)}"}


class Served(ServedInThread[PushProviders]):
    """The push providers served on a free port of their own."""

    def __init__(self) -> None:
        port = free_port()
        super().__init__(PushProviders(port=port), port, "push providers")

    @property
    def providers(self) -> PushProviders:
        return self.app

"""An HTTP SMS gateway on 127.0.0.1 for the tests: one ASGI app served by hypercorn in a
thread of its own. `POST /sms/send` checks the credentials (basic or bearer, whichever the
test configured) and the JSON body (sender, an E.164 `to`, a text, a UUID reference) and
answers 200 with its message id, or what `answers` says for a number (400, 429 with
Retry-After, 503). Refused requests are kept with the reason."""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.bench.served import ServedInThread, free_port

USERNAME = "seddel"
PASSWORD = "sms-test-password"
TOKEN = "sms-test-bearer-token"
SENDER = "Seddel"
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SmsGateway:
    port: int
    bearer: bool = False  # False: basic auth with USERNAME/PASSWORD
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)  # by phone number

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms/send"

    def reset(self) -> None:
        self.received.clear()
        self.refused.clear()
        self.answers.clear()
        self.bearer = False

    def settings(self, settings: Any) -> Any:
        from dataclasses import replace

        if self.bearer:
            return replace(settings, sms_gateway_url=self.url, sms_token=TOKEN)
        return replace(
            settings, sms_gateway_url=self.url, sms_username=USERNAME, sms_password=PASSWORD
        )

    def _check(self, headers: dict[str, str], body: bytes) -> tuple[str | None, dict[str, Any]]:
        expected = (
            f"Bearer {TOKEN}"
            if self.bearer
            else "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        )
        if headers.get("authorization") != expected:
            return "bad credentials", {}
        if not headers.get("content-type", "").startswith("application/json"):
            return "not JSON", {}
        try:
            sms = json.loads(body)
        except ValueError:
            return "not JSON", {}
        if sms.get("sender") != SENDER:
            return f"sender {sms.get('sender')!r}", sms
        if not E164.match(str(sms.get("to"))):
            return f"to {sms.get('to')!r} is not E.164", sms
        if not isinstance(sms.get("text"), str) or not 0 < len(sms["text"]) <= 640:
            return "text missing or too long", sms
        try:
            uuid.UUID(str(sms.get("reference")))
        except ValueError:
            return "reference is not a UUID", sms
        return None, sms

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if scope["method"] != "POST" or scope["path"] != "/sms/send":
            answer = Answer(404, {"error": "not found"})
        else:
            problem, sms = self._check(headers, body)
            if problem == "bad credentials":
                self.refused.append(problem)
                answer = Answer(401, {"error": problem})
            elif problem is not None:
                self.refused.append(problem)
                answer = Answer(400, {"error": problem})
            elif sms["to"] in self.answers:
                answer = self.answers[sms["to"]]
                self.refused.append(f"{answer.status} for {sms['to']}")
            else:
                self.received.append(sms)
                answer = Answer(200, {"id": f"msg-{len(self.received)}"})
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(b"content-type", b"application/json")]
                + [(k.encode(), v.encode()) for k, v in answer.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(answer.body).encode()})


class ServedGateway(ServedInThread[SmsGateway]):
    """The gateway served on a free port of its own."""

    def __init__(self) -> None:
        port = free_port()
        super().__init__(SmsGateway(port=port), port, "SMS gateway")

    @property
    def gateway(self) -> SmsGateway:
        return self.app

"""A real server process: the token in the websocket's connection_init payload, and a
revoked session refused at the next operation on the same socket."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

ROOT = Path(__file__).resolve().parents[2]
ME = "query Me { me { email } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(settings) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "SEDDEL_DATABASE_URL": settings.database_url,
        "SEDDEL_ARGON2_TIME_COST": "1",
        "SEDDEL_ARGON2_MEMORY_KIB": "1024",
        "SEDDEL_ARGON2_PARALLELISM": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://{base}/health/live", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            import time

            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _operation(ws, operation_id: str, query: str) -> dict:
    await ws.send(
        json.dumps({"id": operation_id, "type": "subscribe", "payload": {"query": query}})
    )
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if message.get("id") == operation_id and message["type"] in ("next", "error"):
            return message


async def test_token_in_connection_init_and_revocation_on_the_same_socket(server):
    async with httpx.AsyncClient(base_url=f"http://{server}") as http:
        login = await http.post(
            "/graphql",
            json={
                "operationName": "Login",
                "variables": {
                    "email": "mette@example.com",
                    "password": "seddel-demo",
                    "deviceLabel": "ws",
                },
            },
        )
        result = login.json()["data"]["login"]
        token, session_id = result["token"], result["session"]["id"]
        async with websockets.connect(
            f"ws://{server}/graphql", subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                )
            )
            assert (
                json.loads(await asyncio.wait_for(ws.recv(), timeout=10))["type"]
                == "connection_ack"
            )
            first = await _operation(ws, "1", ME)
            assert first["payload"]["data"]["me"]["email"] == "mette@example.com"
            revoked = await http.post(
                "/graphql",
                json={"operationName": "RevokeSession", "variables": {"sessionId": session_id}},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert revoked.json()["data"]["revokeSession"]["__typename"] == "SessionRevoked"
            second = await _operation(ws, "2", ME)
            payload = second["payload"]
            errors = payload["errors"] if isinstance(payload, dict) else payload
            assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_websocket_without_a_token_is_anonymous(server):
    async with websockets.connect(
        f"ws://{server}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), timeout=10))["type"] == "connection_ack"
        result = await _operation(ws, "1", ME)
        payload = result["payload"]
        errors = payload["errors"] if isinstance(payload, dict) else payload
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"

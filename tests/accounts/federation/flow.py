"""Walking the browser's part of a federated login, as the app's system browser would."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.client import GraphQLClient


async def start(client: GraphQLClient, slug: str = "test-idp", **params: Any) -> httpx.Response:
    return await client.http.get(f"/auth/oidc/{slug}/start", params=params)


async def at_provider(started: httpx.Response) -> str:
    """Follow the start's redirect to the provider; the path and query it sends us back to."""
    assert started.status_code == 302, started.text
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(started.headers["location"])
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    return f"{back.path}?{back.query}"


async def sign_in(client: GraphQLClient, slug: str = "test-idp") -> httpx.Response:
    """Start, sign in at the provider, come back: the callback's answer."""
    callback = await at_provider(await start(client, slug))
    return await client.http.get(callback)


def login_code(callback: httpx.Response) -> str:
    assert callback.status_code == 303, callback.text
    target = urlsplit(callback.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == "seddel://login"
    query = parse_qs(target.query)
    assert set(query) == {"code"}, query  # nothing else, and never a session token
    return query["code"][0]


def refusal(callback: httpx.Response, status: int) -> str:
    assert callback.status_code == status, callback.text
    body = callback.json()
    assert "location" not in callback.headers
    reason: str = body["reason"]
    return reason

"""The roster routes as an admin's browser calls them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.client import GraphQLClient

HERE = Path(__file__).parent


async def headers(client: GraphQLClient, as_: str | None, language: str = "da") -> dict[str, str]:
    found = {"Accept-Language": language}
    if as_:
        found["Authorization"] = f"Bearer {await client.token_for(as_)}"
    return found


async def dry_run_response(
    client: GraphQLClient,
    *,
    as_: str | None,
    institution: str,
    data: bytes,
    mode: str | None = None,
    language: str = "da",
) -> httpx.Response:
    form = {"institution": institution}
    if mode is not None:
        form["mode"] = mode
    return await client.http.post(
        "/admin/roster/import",
        data=form,
        files={"file": ("roster.csv", data, "text/csv")},
        headers=await headers(client, as_, language),
    )


async def dry_run(client: GraphQLClient, **kwargs: Any) -> dict[str, Any]:
    response = await dry_run_response(client, **kwargs)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def commit_response(
    client: GraphQLClient, *, as_: str | None, plan_id: str, language: str = "da"
) -> httpx.Response:
    return await client.http.post(
        f"/admin/roster/import/{plan_id}/commit", headers=await headers(client, as_, language)
    )


async def commit(client: GraphQLClient, *, as_: str, plan_id: str) -> dict[str, Any]:
    response = await commit_response(client, as_=as_, plan_id=plan_id)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def export_response(
    client: GraphQLClient, *, as_: str | None, institution: str, delimiter: str = "comma"
) -> httpx.Response:
    return await client.http.get(
        "/admin/roster/export.csv",
        params={"institution": institution, "delimiter": delimiter},
        headers=await headers(client, as_),
    )

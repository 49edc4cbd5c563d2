"""Shared steps of the announcement tests."""

from __future__ import annotations

from typing import Any

from tests.helpers import SOLSIKKEN_ADMIN, group_id, institution_id, overview

PERNILLE = "pernille@solsikken.example"  # pædagog in Bjørnene
METTE = "mette@example.com"  # Liva (Bjørnene, custody, full access)
JONAS = "jonas@example.com"  # Liva (information only)


async def post(
    client, *, as_: str = PERNILLE, group: str | None = "Bjørnene", **fields: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "institutionId": await institution_id(client, SOLSIKKEN_ADMIN),
        "title": "Tur i skoven",
        "body": "Husk regntøj og madpakke på fredag.",
    }
    if group is not None:
        payload["groupId"] = await group_id(client, SOLSIKKEN_ADMIN, group)
    payload.update(fields)
    data = await client.gql("PostAnnouncement", {"input": payload}, as_=as_)
    result: dict[str, Any] = data["postAnnouncement"]
    return result


async def guardians_of_group(client, group: str) -> set[str]:
    """E-mails of the guardians (access other than none) of a Solsikken group's children."""
    node = await overview(client, SOLSIKKEN_ADMIN, first=40)
    return {
        g["email"]
        for e in node["children"]["edges"]
        if e["node"]["group"]["name"] == group
        for g in e["node"]["guardians"]
        if g["access"] != "NONE"
    }


async def listed(client, as_: str, **filters: Any) -> list[dict[str, Any]]:
    data = await client.gql("Announcements", {"first": 20, **filters}, as_=as_)
    return [e["node"] for e in data["announcements"]["edges"]]

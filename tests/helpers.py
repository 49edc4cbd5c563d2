"""Small lookups through the API that many tests share."""

from __future__ import annotations

from typing import Any

from tests.client import GraphQLClient

SOLSIKKEN_ADMIN = "admin@solsikken.example"
REGNBUEN_ADMIN = "admin@regnbuen.example"


async def institution_id(client: GraphQLClient, admin: str) -> str:
    me = await client.gql("Me", as_=admin)
    value: str = me["me"]["institutions"][0]["institution"]["id"]
    return value


async def overview(client: GraphQLClient, admin: str, first: int = 40) -> dict[str, Any]:
    iid = await institution_id(client, admin)
    data = await client.gql("InstitutionOverview", {"id": iid, "first": first}, as_=admin)
    node: dict[str, Any] = data["node"]
    return node


async def group_id(client: GraphQLClient, admin: str, name: str) -> str:
    node = await overview(client, admin, first=1)
    return next(g["id"] for g in node["groups"] if g["name"] == name)


async def child_id(client: GraphQLClient, admin: str, name: str) -> str:
    node = await overview(client, admin)
    return next(e["node"]["id"] for e in node["children"]["edges"] if e["node"]["name"] == name)

"""Shared steps of the messaging tests: demo IDs and starting threads through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.client import GraphQLClient
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, overview

METTE = "mette@example.com"
JONAS = "jonas@example.com"  # Liva's father: no custody, information only
PERNILLE = "pernille@solsikken.example"  # pædagog in Bjørnene
KARSTEN = "karsten@solsikken.example"  # pædagog in Myrerne
LARS = "lars@regnbuen.example"  # pædagog in Regnbuen


@dataclass
class Demo:
    institution: str
    regnbuen: str
    groups: dict[str, str]
    regnbuen_groups: dict[str, str]
    children: dict[str, dict[str, Any]]  # name -> child node (with group, guardians)
    staff: dict[str, str]  # email -> StaffMember id

    def child(self, name: str) -> str:
        return str(self.children[name]["id"])

    def bjornene_children(self) -> list[dict[str, Any]]:
        return [c for c in self.children.values() if c["group"]["name"] == "Bjørnene"]

    def other_bjornene_family(self) -> dict[str, Any]:
        """A Bjørnene child of another family with at least one guardian."""
        return next(
            c
            for c in self.bjornene_children()
            if c["name"] != "Liva Holm-Jensen" and c["guardians"]
        )

    def guardian_link(self, child_name: str, email: str) -> str:
        return next(g["id"] for g in self.children[child_name]["guardians"] if g["email"] == email)


async def demo(client: GraphQLClient) -> Demo:
    node = await overview(client, SOLSIKKEN_ADMIN, first=40)
    other = await overview(client, REGNBUEN_ADMIN, first=40)
    return Demo(
        institution=node["id"],
        regnbuen=other["id"],
        groups={g["name"]: g["id"] for g in node["groups"]},
        regnbuen_groups={g["name"]: g["id"] for g in other["groups"]},
        children={e["node"]["name"]: e["node"] for e in node["children"]["edges"]},
        staff={s["email"]: s["id"] for s in node["staff"] + other["staff"]},
    )


async def start(
    client: GraphQLClient,
    as_: str,
    institution: str,
    recipients: dict[str, Any],
    *,
    subject: str = "Tur i skoven",
    body: str = "Husk gummistøvler i morgen.",
    **extra: Any,
) -> dict[str, Any]:
    data = await client.gql(
        "StartThread",
        {
            "input": {
                "institutionId": institution,
                "subject": subject,
                "body": body,
                "recipients": recipients,
                **extra,
            }
        },
        as_=as_,
    )
    result: dict[str, Any] = data["startThread"]
    return result


async def started(
    client: GraphQLClient, as_: str, institution: str, recipients: dict[str, Any], **extra: Any
) -> list[dict[str, Any]]:
    result = await start(client, as_, institution, recipients, **extra)
    assert result["__typename"] == "ThreadsStarted", result
    threads: list[dict[str, Any]] = result["threads"]
    return threads


async def inbox(client: GraphQLClient, as_: str, **variables: Any) -> list[dict[str, Any]]:
    data = await client.gql("Inbox", {"first": 30, **variables}, as_=as_)
    return [e["node"] for e in data["inbox"]["edges"]]


async def thread(client: GraphQLClient, as_: str, thread_id: str) -> dict[str, Any] | None:
    data = await client.gql("Thread", {"id": thread_id, "first": 30}, as_=as_)
    node: dict[str, Any] | None = data["node"]
    return node


async def send(
    client: GraphQLClient, as_: str, thread_id: str, body: str, **extra: Any
) -> dict[str, Any]:
    data = await client.gql("SendMessage", {"threadId": thread_id, "body": body, **extra}, as_=as_)
    result: dict[str, Any] = data["sendMessage"]
    return result


def scoped(runtime: Any, *institution_ids: str) -> Any:
    """A session of our own, scoped to institutions (row-level security on PostgreSQL)."""
    from app.api.ids import decode
    from app.db import scope

    session = runtime.sessions()
    scope(
        session,
        institution_ids=[decode(i, "Institution", field="x") for i in institution_ids],
        user_id=None,
    )
    return session

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


async def bodies(client: GraphQLClient, as_: str, thread_id: str) -> list[str] | None:
    """The message texts one may read in a thread, newest first (None: no thread for them)."""
    node = await thread(client, as_, thread_id)
    if node is None:
        return None
    return [e["node"]["body"] for e in node["messages"]["edges"]]


async def notified(runtime: Any, institution: str, message_id: str) -> set[str]:
    """E-mail addresses a new message notifies (what the outbox rows are written for)."""
    from sqlalchemy import select

    from app.accounts.models import User
    from app.api.ids import decode
    from app.messaging.service.audience import recipients_to_notify

    async with scoped(runtime, institution) as db:
        target = await recipients_to_notify(
            db=db, message_id=decode(message_id, "Message", field="x")
        )
        assert target is not None
        emails = await db.scalars(select(User.email).where(User.id.in_(target.user_ids)))
        return set(emails.all())


async def admin(client: GraphQLClient, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
    """An administration mutation by Solsikken's admin; fails the test on a user error."""
    data = await client.gql(operation, variables, as_=SOLSIKKEN_ADMIN)
    result: dict[str, Any] = next(iter(data.values()))
    assert "code" not in result, result
    return result


async def new_child(client: GraphQLClient, group: str, first_name: str, *guardians: str) -> str:
    """A child enrolled in `group` today with these (existing, full-access) guardians."""
    from datetime import date

    child = await admin(
        client,
        "CreateChild",
        {
            "input": {
                "groupId": group,
                "firstName": first_name,
                "lastName": "Holm-Jensen",
                "birthDate": date(date.today().year - 4, 3, 1).isoformat(),
            }
        },
    )
    for email in guardians:
        await admin(
            client,
            "AddGuardian",
            {"input": {"childId": child["id"], "email": email, "name": email.split("@")[0]}},
        )
    child_id: str = child["id"]
    return child_id

"""Messaging operations of `make bench` (app/bench/run.py): the inbox, a thread, sendMessage and
startThread of a broadcast to a group's guardians."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text

from app.bench.measure import Meter, measure, same_answers, scalar
from app.db import new_id
from app.ops.demo import DEMO_PASSWORD

# The raw SQL floors of the inbox and the thread (also measured under RLS, app/bench/rls.py).
INBOX_SQL = (
    "SELECT t.*, m.body, u.name FROM message_threads t"
    " JOIN message_participants p ON p.thread_id = t.id AND p.user_id = :u"
    " LEFT JOIN messages m ON m.id = t.last_message_id"
    " LEFT JOIN users u ON u.id = m.sender_id"
    " ORDER BY t.last_message_at DESC, t.id DESC LIMIT 20"
)
THREAD_SQL = (
    "SELECT m.*, u.name FROM messages m JOIN users u ON u.id = m.sender_id"
    " WHERE m.thread_id = :t ORDER BY m.id DESC LIMIT 50"
)


async def run_messaging(
    post: Callable[..., Awaitable[dict[str, Any]]],
    overview: dict[str, Any],
    institution_id: str,
    admin_token: str,
    owner: Any,
    meter: Meter,
    requests: int,
) -> list[dict[str, Any]]:
    """inbox (20 threads), thread (50 messages), sendMessage into a broadcast to the guardians
    of a group of 25 children (50 guardians), and startThread of such a broadcast."""
    group = overview["groups"][0]
    group_index = int(group["name"].split()[-1])
    guardian_email = f"g0-{group_index}-0-0@bench.example"
    guardian = await post("Login", {"email": guardian_email, "password": DEMO_PASSWORD})
    guardian_token = guardian["data"]["login"]["token"]
    broadcast = {
        "input": {
            "institutionId": institution_id,
            "subject": "Forældremøde",
            "body": "Kære forældre, husk mødet på torsdag kl. 17.",
            "recipients": {"groups": [group["id"]]},
        }
    }
    thread_ids: list[str] = []
    for _ in range(20):
        started = await post("StartThread", broadcast, admin_token)
        thread_ids.append(started["data"]["startThread"]["threads"][0]["id"])
    busy = thread_ids[0]
    for n in range(50):
        await post("SendMessage", {"threadId": busy, "body": f"Besked nummer {n}"}, admin_token)
    results = []
    user_id = await scalar(owner, "SELECT id FROM users WHERE email_key = :e", e=guardian_email)

    async def inbox(i: int) -> None:
        await post("Inbox", {"first": 20}, guardian_token)

    async def inbox_floor(i: int) -> None:
        async with owner.connect() as c:
            await c.execute(
                text(INBOX_SQL),
                {"u": user_id},
            )

    results.append(await measure("inbox", requests, inbox, meter, inbox_floor, own_sql=True))

    async def inbox_resolvers(i: int) -> None:
        await post("Inbox", {"first": 20}, guardian_token, compiled=False)

    results.append(await measure("inbox resolvers", requests, inbox_resolvers, meter, inbox_floor))
    for token in (guardian_token, admin_token):
        page: dict[str, Any] = {"first": 7}
        for _ in range(4):
            await same_answers(post, "Inbox", page, token)
            info = (await post("Inbox", page, token))["data"]["inbox"]["pageInfo"]
            if not info["hasNextPage"]:
                break
            page = {"first": 7, "after": info["endCursor"]}
        await same_answers(post, "Inbox", {"first": 100, "unread": True}, token)
        await same_answers(post, "Inbox", {"institutionId": institution_id}, token)
    busy_id = uuid.UUID(_node_id(busy))

    async def thread(i: int) -> None:
        await post("ThreadMessagesPage", {"id": busy, "first": 50}, guardian_token)

    async def thread_floor(i: int) -> None:
        async with owner.connect() as c:
            await c.execute(
                text(THREAD_SQL),
                {"t": busy_id},
            )

    results.append(await measure("thread", requests, thread, meter, thread_floor, own_sql=True))

    async def thread_resolvers(i: int) -> None:
        await post("ThreadMessagesPage", {"id": busy, "first": 50}, guardian_token, compiled=False)

    results.append(
        await measure("thread resolvers", requests, thread_resolvers, meter, thread_floor)
    )
    for token in (guardian_token, admin_token):
        for variables in ({"id": busy, "first": 50}, {"id": busy, "first": 7}, {"id": busy}):
            await same_answers(post, "ThreadMessagesPage", variables, token)

    async def send(i: int) -> None:
        await post(
            "SendMessage", {"threadId": thread_ids[i % 20], "body": f"Svar {i}"}, admin_token
        )

    async def send_floor(i: int) -> None:
        async with owner.begin() as c:
            await c.execute(
                text(
                    "INSERT INTO messages (id, institution_id, thread_id, sender_id, sender_role,"
                    " sent_as_institution, body, is_auto_reply, created_at)"
                    " SELECT :id, institution_id, id, :u, 'admin', false, 'x', false, now()"
                    " FROM message_threads WHERE id = :t"
                ),
                {"id": new_id(), "u": user_id, "t": busy_id},
            )
            await c.execute(
                text("UPDATE message_threads SET last_message_at = now() WHERE id = :t"),
                {"t": busy_id},
            )

    results.append(await measure("sendMessage", requests, send, meter, send_floor))

    async def start(i: int) -> None:
        await post("StartThread", broadcast, admin_token)

    results.append(await measure("startThread", max(20, requests // 5), start, meter, send_floor))
    return results


def _node_id(global_id: str) -> str:
    padded = global_id + "=" * (-len(global_id) % 4)
    return base64.b64decode(padded).decode().split(":", 1)[1]

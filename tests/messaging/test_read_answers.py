"""The messaging reads answer exactly as before their read models: the JSON of Inbox, the thread
page, the Thread document (node(id:)), search and the unread total, for every demo login and a
second pædagog, over threads of every shape, is held byte-equal (IDs, cursors and times replaced
by placeholders in order of appearance) to answers recorded from the ORM resolver path.

Record again (only when an answer is meant to change): SEDDEL_RECORD_ANSWERS=1 pytest this file.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from app.ops.demo import DEMO_LOGINS
from tests.client import GraphQLClient
from tests.conftest import is_postgres
from tests.files import pdf_bytes, upload
from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import JONAS, KARSTEN, METTE, PERNILLE, demo, send, start, started

# One file per database: they differ only where the databases order NULLs differently
# (readBy lists those who never read first on SQLite, last on PostgreSQL).
ANSWERS = (
    Path(__file__).parent
    / "answers"
    / ("read_answers.postgresql.json" if is_postgres() else "read_answers.sqlite.json")
)
ACTORS = [login.email for login in DEMO_LOGINS] + [KARSTEN]
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?$")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
OPAQUE = {"id", "cursor", "endCursor", "startCursor", "threadId"}


class Normalizer:
    """Placeholders for what differs between runs (generated IDs, clock times, signatures)."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def _mark(self, kind: str, value: str) -> str:
        if value not in self.seen:
            self.seen[value] = f"<{kind}{len(self.seen)}>"
        return self.seen[value]

    def __call__(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, key) for v in value]
        if not isinstance(value, str):
            return value
        if key in OPAQUE:
            return self._mark("id", value)
        if TIME.match(value):
            return self._mark("t", value)
        if key == "url":
            value = value.split("?", 1)[0]
        return UUID.sub(lambda m: self._mark("id", m.group(0)), value)


async def _threads(client: GraphQLClient) -> None:
    """Threads of every shape the read models summarise."""
    d = await demo(client)
    bjornene = d.groups["Bjørnene"]
    liva = d.child("Liva Holm-Jensen")
    note = await upload(
        client,
        as_=PERNILLE,
        institution=d.institution,
        purpose="attachment",
        filename="madplan.pdf",
        data=pdf_bytes(),
    )
    (hidden,) = await started(
        client, PERNILLE, d.institution, {"groups": [bjornene]}, fileIds=[note["id"]]
    )
    (open_,) = await started(
        client, PERNILLE, d.institution, {"groups": [bjornene]}, replyToAll=True, subject="Fest"
    )
    (family,) = await started(client, PERNILLE, d.institution, {"children": [liva]}, subject="Liva")
    (as_group,) = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [liva], "groupInboxes": [bjornene]},
        asGroupId=bjornene,
        subject="Fra stuen",
    )
    await started(client, SOLSIKKEN_ADMIN, d.institution, {"allGuardians": True}, subject="Alle")
    (to_staff,) = await started(
        client, METTE, d.institution, {"staff": [d.staff[PERNILLE]]}, subject="Hentning"
    )
    await start(client, METTE, d.institution, {"groupInboxes": [bjornene]}, subject="Stuen")
    await start(client, METTE, d.institution, {"institutionInbox": True}, subject="Kontoret")
    await started(client, KARSTEN, d.institution, {"staff": [d.staff[PERNILLE]]}, subject="Vagt")
    await send(client, METTE, hidden["id"], "Tak for info")
    await send(client, JONAS, open_["id"], "Vi kommer")
    first = (await send(client, METTE, family["id"], "Sov hun?"))["id"]
    reply = await send(client, PERNILLE, family["id"], "Hun sov godt", quotedMessageId=first)
    await send(client, METTE, family["id"], "Dejligt")
    await send(client, PERNILLE, as_group["id"], "Husk tøj")
    await send(client, PERNILLE, to_staff["id"], "Det er fint")
    gone = await send(client, PERNILLE, to_staff["id"], "Slet mig")
    await client.gql(
        "EditMessage", {"messageId": reply["id"], "body": "Hun sov længe"}, as_=PERNILLE
    )
    await client.gql("DeleteMessage", {"messageId": gone["id"]}, as_=PERNILLE)
    await client.gql("MarkThreadRead", {"threadId": family["id"]}, as_=METTE)
    await client.gql("SetThreadFlags", {"threadId": open_["id"], "muted": True}, as_=METTE)
    await client.gql("SetThreadFlags", {"threadId": as_group["id"], "archived": True}, as_=METTE)
    await client.gql("LeaveThread", {"threadId": open_["id"]}, as_=JONAS)


async def _answers(client: GraphQLClient, email: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    inbox = await client.gql("Inbox", {"first": 20}, as_=email)
    found["inbox"] = inbox
    found["inbox_5"] = await client.gql("Inbox", {"first": 2}, as_=email)
    cursor = found["inbox_5"]["inbox"]["pageInfo"]["endCursor"]
    if cursor:
        found["inbox_after"] = await client.gql("Inbox", {"first": 2, "after": cursor}, as_=email)
    found["archived"] = await client.gql("Inbox", {"first": 20, "archived": True}, as_=email)
    found["unread"] = await client.gql("Inbox", {"first": 20, "unread": True}, as_=email)
    found["search"] = await client.gql("SearchMessages", {"text": "Husk", "first": 20}, as_=email)
    ids = [e["node"]["id"] for e in inbox["inbox"]["edges"]]
    ids += [e["node"]["id"] for e in found["archived"]["inbox"]["edges"]]
    for n, thread_id in enumerate(ids):
        found[f"page{n}"] = await client.gql(
            "ThreadMessagesPage", {"id": thread_id, "first": 50}, as_=email
        )
        small = await client.gql("ThreadMessagesPage", {"id": thread_id, "first": 1}, as_=email)
        found[f"page{n}_1"] = small
        end = small["node"]["messages"]["pageInfo"]["endCursor"] if small["node"] else None
        if end:
            found[f"page{n}_after"] = await client.gql(
                "ThreadMessagesPage", {"id": thread_id, "first": 1, "after": end}, as_=email
            )
        found[f"thread{n}"] = await client.gql("Thread", {"id": thread_id, "first": 30}, as_=email)
    return found


async def test_messaging_reads_answer_as_recorded_for_every_demo_login(client):
    await _threads(client)
    normalize = Normalizer()
    answers = {email: normalize(await _answers(client, email)) for email in ACTORS}
    text = json.dumps(answers, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
    if os.environ.get("SEDDEL_RECORD_ANSWERS"):
        ANSWERS.parent.mkdir(exist_ok=True)
        ANSWERS.write_text(text)
    recorded = ANSWERS.read_text()
    assert text == recorded

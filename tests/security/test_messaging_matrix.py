"""The security matrix for threads and messages: strangers of another institution, another
family's guardian, Mette's co-parent Jonas (information only) on a sensitive thread, a revoked
session and no session: null / NOT_FOUND / UNAUTHENTICATED, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.messaging.util import JONAS, METTE, PERNILLE, demo, send, started, thread

STRANGER_ADMIN = "admin@regnbuen.example"
STRANGER_STAFF = "lars@regnbuen.example"


async def _fixture(client) -> dict[str, Any]:
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}, sensitive=True
    )
    message = await send(client, METTE, t["id"], "Liva har feber")
    other = d.other_bjornene_family()["guardians"][0]["email"]
    return {"d": d, "thread": t["id"], "message": message["id"], "other": other}


def _outsiders(f: dict[str, Any]) -> list[str]:
    return [STRANGER_ADMIN, STRANGER_STAFF, f["other"], JONAS]


async def test_thread_and_message_nodes_are_null_for_outsiders(client):
    f = await _fixture(client)
    for who in _outsiders(f):
        for node_id in (f["thread"], f["message"]):
            assert (await client.gql("Node", {"id": node_id}, as_=who))["node"] is None, who
        assert (await client.gql("Nodes", {"ids": [f["thread"], f["message"]]}, as_=who))[
            "nodes"
        ] == [None, None]
        listed = await client.gql("Inbox", {"first": 30}, as_=who)
        assert f["thread"] not in [e["node"]["id"] for e in listed["inbox"]["edges"]]
        found = await client.gql("SearchMessages", {"text": "feber"}, as_=who)
        assert found["searchMessages"]["edges"] == []
    # The owner sees both, typed.
    assert (await client.gql("Node", {"id": f["thread"]}, as_=METTE))["node"][
        "__typename"
    ] == "Thread"
    assert (await client.gql("Node", {"id": f["message"]}, as_=PERNILLE))["node"][
        "body"
    ] == "Liva har feber"


def _mutations(f: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    d = f["d"]
    return [
        (
            "SetInboxAutoReply",
            {"institutionId": d.institution, "groupId": d.groups["Bjørnene"], "body": ""},
            "setInboxAutoReply",
        ),
        ("SendMessage", {"threadId": f["thread"], "body": "x"}, "sendMessage"),
        ("EditMessage", {"messageId": f["message"], "body": "x"}, "editMessage"),
        ("DeleteMessage", {"messageId": f["message"]}, "deleteMessage"),
        ("ForwardMessage", {"messageId": f["message"], "threadId": f["thread"]}, "forwardMessage"),
        ("MarkThreadRead", {"threadId": f["thread"]}, "markThreadRead"),
        ("SetThreadFlags", {"threadId": f["thread"], "archived": True}, "setThreadFlags"),
        ("LeaveThread", {"threadId": f["thread"]}, "leaveThread"),
        (
            "AddThreadParticipants",
            {"threadId": f["thread"], "recipients": {"institutionInbox": True}},
            "addThreadParticipants",
        ),
        (
            "RemoveThreadParticipant",
            {"threadId": f["thread"], "participantId": "01925e3a-0000-7000-8000-000000000000"},
            "removeThreadParticipant",
        ),
        ("MarkThreadSensitive", {"threadId": f["thread"]}, "markThreadSensitive"),
        ("DeleteThread", {"threadId": f["thread"]}, "deleteThread"),
        (
            "StartThread",
            {
                "input": {
                    "institutionId": d.institution,
                    "subject": "x",
                    "body": "x",
                    "recipients": {"children": [d.child("Liva Holm-Jensen")]},
                }
            },
            "startThread",
        ),
        ("SetAutoReply", {"institutionId": d.institution, "body": ""}, "setAutoReply"),
    ]


async def test_every_messaging_mutation_is_not_found_for_outsiders(client):
    f = await _fixture(client)
    for who in _outsiders(f):
        for operation, variables, field in _mutations(f):
            if who == f["other"] and operation in ("StartThread",):
                continue  # a guardian starting a thread about someone's child: below
            result = (await client.gql(operation, variables, as_=who))[field]
            assert result.get("code") == "NOT_FOUND", (who, operation, result)
    # A guardian cannot start a thread about a child (only staff address children).
    about = (await client.gql(*_mutations(f)[-2][:2], as_=f["other"]))["startThread"]
    assert about["code"] == "NOT_FOUND"
    # Nothing changed for the participants.
    seen = await thread(client, METTE, f["thread"])
    assert seen["lastMessage"]["body"] == "Liva har feber"
    assert seen["archived"] is False


@pytest.mark.parametrize("token_kind", ["none", "revoked", "made-up"])
async def test_messaging_needs_a_live_session(client, token_kind):
    f = await _fixture(client)
    token = None
    if token_kind == "revoked":
        login = await client.gql("Login", {"email": PERNILLE, "password": "seddel-demo"})
        token = login["login"]["token"]
        await client.gql("Logout", token=token)
    elif token_kind == "made-up":
        token = "made-up-token"
    for operation, variables, _ in _mutations(f):
        payload = await client.execute(operation, variables, token=token)
        assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", operation
    for operation, variables in [
        ("Inbox", {"first": 5}),
        ("Thread", {"id": f["thread"]}),
        ("ThreadMessagesPage", {"id": f["thread"], "first": 5}),
        ("SearchMessages", {"text": "feber"}),
    ]:
        payload = await client.execute(operation, variables, token=token)
        assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", operation


async def test_forwarding_and_attachments_cross_no_wall(client):
    """Each outsider has a thread of their own: the sensitive message cannot be forwarded
    into it, their own message cannot be forwarded into the sensitive thread, and a
    Solsikken upload cannot be attached there."""
    from tests.files import pdf_bytes, upload
    from tests.messaging.util import LARS
    from tests.security.matrix import Case, assert_refused, not_found, null

    f = await _fixture(client)
    d = f["d"]
    pernilles = await upload(
        client,
        as_=PERNILLE,
        institution=d.institution,
        purpose="attachment",
        filename="madplan.pdf",
        data=pdf_bytes(),
    )
    other_child = d.other_bjornene_family()["id"]
    own_threads = {
        STRANGER_ADMIN: (STRANGER_ADMIN, d.regnbuen, {"groupStaff": [d.regnbuen_groups["0.A"]]}),
        STRANGER_STAFF: (LARS, d.regnbuen, {"groupStaff": [d.regnbuen_groups["0.A"]]}),
        f["other"]: (PERNILLE, d.institution, {"children": [other_child]}),
        JONAS: (PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}),
    }
    for who, (author, institution, recipients) in own_threads.items():
        (own,) = await started(client, author, institution, recipients)
        cases = [
            Case(
                "ForwardMessage",
                {"messageId": f["message"], "threadId": own["id"]},
                not_found("forwardMessage"),
            ),
            Case(
                "ForwardMessage",
                {"messageId": own["lastMessage"]["id"], "threadId": f["thread"]},
                not_found("forwardMessage"),
            ),
            Case(
                "SendMessage",
                {"threadId": own["id"], "body": "Se her", "fileIds": [pernilles["id"]]},
                not_found("sendMessage"),
            ),
            Case("ThreadMessagesPage", {"id": f["thread"], "first": 5}, null("node")),
        ]
        await assert_refused(client, cases, [who])
    # Nothing arrived in the sensitive thread, and the upload is still Pernille's to use.
    seen = await thread(client, METTE, f["thread"])
    assert seen["lastMessage"]["id"] == f["message"]
    (mine,) = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen")]},
        fileIds=[pernilles["id"]],
    )
    assert mine["lastMessage"]["id"]

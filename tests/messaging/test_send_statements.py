"""Sending to many costs what sending to a few does: the statements of startThread and
sendMessage do not grow with the number of recipients (participants, read pointers and outbox
rows are one multi-row INSERT each; whom a message reaches is read once for its notifications
and its live events).

Bounds are on the statements besides signing in (measured by a probe request whose fields
cost one statement), answer included."""

from __future__ import annotations

from typing import Any

from tests.client import GraphQLClient
from tests.messaging.util import PERNILLE, demo, send, started

# In the transaction: the thread and one's reach of it; the message, the thread's latest and
# the read pointers (INSERT, UPDATE, UPDATE); whom it reaches (and who muted it); their
# notification preferences and waiting digests (one UNION ALL); the outbox; away replies.
# Then the answer.
SEND_STATEMENTS = 12
# Starting: the groups and guardians addressed; thread, message, participants, read pointer,
# bases (an INSERT each); whom it reaches; preferences and digests; timezone; the outbox; away
# replies. Then the answer (the thread as the sender sees it, its participants, ...).
START_STATEMENTS = 18
SIGN_IN_PROBE = "query SignInProbe { unreadMessages }"


async def _sign_in(client: GraphQLClient, as_: str, assert_max_queries: Any) -> int:
    await client.token_for(as_)  # logging in is not part of a request
    with assert_max_queries(50) as probe:
        await client.execute("SignInProbe", query=SIGN_IN_PROBE, as_=as_)
    return probe.count - 1


async def test_sending_to_a_group_or_the_whole_institution_costs_the_same(
    client, assert_max_queries
):
    d = await demo(client)
    sign_in = await _sign_in(client, PERNILLE, assert_max_queries)
    # Bjørnene's guardians, then every guardian of Solsikken (about three times as many).
    with assert_max_queries(sign_in + START_STATEMENTS) as one_group:
        (group,) = await started(
            client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]}
        )
    with assert_max_queries(one_group.count) as everyone:
        (every,) = await started(client, PERNILLE, d.institution, {"allGuardians": True})
    assert len(every["participants"]) > 2 * len(group["participants"])
    with assert_max_queries(sign_in + SEND_STATEMENTS) as to_group:
        assert (await send(client, PERNILLE, group["id"], "Husk madpakke"))[
            "__typename"
        ] == "Message"
    with assert_max_queries(to_group.count) as to_everyone:
        assert (await send(client, PERNILLE, every["id"], "Husk madpakke"))[
            "__typename"
        ] == "Message"
    assert everyone.count <= one_group.count and to_everyone.count <= to_group.count

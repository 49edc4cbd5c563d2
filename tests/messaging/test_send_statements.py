"""Sending to many costs what sending to a few does: the statements of startThread and
sendMessage do not grow with the number of recipients (the outbox is one insert)."""

from __future__ import annotations

from tests.messaging.util import PERNILLE, demo, send, started


async def test_sending_to_a_group_or_the_whole_institution_costs_the_same(
    client, assert_max_queries
):
    d = await demo(client)
    await client.token_for(PERNILLE)
    # Bjørnene's guardians, then every guardian of Solsikken (about three times as many).
    with assert_max_queries(40) as one_group:
        (group,) = await started(client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]})
    with assert_max_queries(one_group.count) as everyone:
        (every,) = await started(client, PERNILLE, d.institution, {"allGuardians": True})
    with assert_max_queries(40) as to_group:
        assert (await send(client, PERNILLE, group["id"], "Husk madpakke"))["__typename"] == "Message"
    with assert_max_queries(to_group.count):
        assert (await send(client, PERNILLE, every["id"], "Husk madpakke"))["__typename"] == "Message"
    assert everyone.count <= one_group.count

"""Staff see whether each guardian was reached, per channel: by an announcement and by a
child sent home (push: a device's provider accepted it; e-mail: the mail server did); never
what anyone read. Guardians and other institutions see nothing."""

# ruff: noqa: F401, F811  (the push providers' fixtures are imported, then used by name)

from __future__ import annotations

from datetime import timedelta

from app.db import utcnow
from app.notifications.service.senders import create_senders
from app.notifications.service.worker import deliver_due
from tests.announcements.helpers import METTE, PERNILLE, post
from tests.attendance.plan_helpers import family
from tests.helpers import SOLSIKKEN_ADMIN
from tests.notifications.test_push_providers import (
    IOS_TOKEN,
    providers,
    served_providers,
    settings,
)
from tests.security.matrix import STRANGER_ADMIN


async def _deliver(runtime, settings, now):
    senders = create_senders(settings)
    try:
        await deliver_due(sessions=runtime.sessions, senders=senders, settings=settings, now=now)
    finally:
        await senders.aclose()


async def test_staff_see_who_an_announcement_reached(client, runtime, settings, providers):
    await client.gql(
        "RegisterPushDevice", {"input": {"platform": "IOS", "token": IOS_TOKEN}}, as_=METTE
    )
    made = await post(client)
    announcement = made["id"]
    before = (await client.gql("AnnouncementReach", {"id": announcement}, as_=PERNILLE))["node"]
    assert {r["push"] for r in before["reach"]} == {"QUEUED"}
    await _deliver(runtime, settings, utcnow() + timedelta(minutes=20))
    seen = (await client.gql("AnnouncementReach", {"id": announcement}, as_=PERNILLE))["node"]
    by_name = {r["name"]: r for r in seen["reach"]}
    mette = next(r for name, r in by_name.items() if name.startswith("Mette"))
    assert mette["push"] == "REACHED" and mette["sms"] == "OFF"
    # Guardians without a device: push not reached; the e-mail went to the mail server
    # (the logging e-mail sender of the test settings stands for it).
    others = [r for name, r in by_name.items() if not name.startswith("Mette")]
    assert others and all(r["push"] == "NOT_REACHED" for r in others)
    # Not for the guardian, not for another institution's admin.
    mine = (await client.gql("AnnouncementReach", {"id": announcement}, as_=METTE))["node"]
    assert mine["reach"] is None
    stranger = await client.gql("AnnouncementReach", {"id": announcement}, as_=STRANGER_ADMIN)
    assert stranger["node"] is None


async def test_staff_see_who_a_sent_home_child_reached(
    client, runtime, settings, providers, plan_clock
):
    await client.gql(
        "RegisterPushDevice", {"input": {"platform": "IOS", "token": IOS_TOKEN}}, as_=METTE
    )
    f = await family(client)
    sent = (
        await client.gql("SendChildHome", {"childId": f["liva"], "reason": "Feber"}, as_=PERNILLE)
    )["sendChildHome"]
    await _deliver(runtime, settings, utcnow())
    seen = (await client.gql("SentHomeReach", {"id": sent["id"]}, as_=SOLSIKKEN_ADMIN))["node"]
    reach = {r["name"].split()[0]: r for r in seen["sentHomeReach"]}
    assert reach["Mette"]["push"] == "REACHED"
    assert set(reach) == {"Mette", "Jonas"}
    assert [r.device for r in providers.received] == [IOS_TOKEN]
    assert "Feber" not in str(providers.received[0].payload)  # health data stays home
    mine = (await client.gql("SentHomeReach", {"id": sent["id"]}, as_=METTE))["node"]
    assert mine is None or mine["sentHomeReach"] is None

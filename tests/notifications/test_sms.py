"""Urgent SMS: a child sent home goes by SMS to guardians with a phone number when the
institution opted in, through an HTTP SMS gateway on 127.0.0.1 (tests/sms_gateway.py) that
checks the credentials and the body. What the gateway answers decides the delivery record
(and so what staff see as reached); a monthly cap per institution stops the rest. Phone numbers
are E.164 from input on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import User
from app.core.system_scope import all_institutions_session
from app.db import utcnow
from app.notifications.models import NotificationDelivery
from app.notifications.service.senders import create_senders, live_senders
from app.notifications.service.worker import deliver_due
from tests.announcements.helpers import METTE, PERNILLE
from tests.attendance.plan_helpers import family
from tests.helpers import SOLSIKKEN_ADMIN, institution_id
from tests.notifications.helpers import outbox
from tests.sms_gateway import Answer, ServedGateway, SmsGateway

METTE_PHONE = "+4520304050"
JONAS_PHONE = "+4521314151"


@pytest.fixture(scope="session")
def served_gateway() -> Iterator[SmsGateway]:
    served = ServedGateway()
    gateway = served.start()
    try:
        yield gateway
    finally:
        served.stop()


@pytest.fixture
def gateway(served_gateway: SmsGateway) -> SmsGateway:
    served_gateway.reset()
    return served_gateway


async def _opt_in(client, cap: int | None = None) -> None:
    changes: dict[str, object] = {"urgentSmsEnabled": True}
    if cap is not None:
        changes["smsMonthlyCap"] = cap
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    done = await client.gql(
        "UpdateInstitutionSettings", {"institution": iid, "input": changes}, as_=SOLSIKKEN_ADMIN
    )
    assert done["updateInstitutionSettings"]["__typename"] == "Institution", done


async def _phones(runtime, numbers: dict[str, str]) -> None:
    async with all_institutions_session(runtime.sessions) as db:
        for email, phone in numbers.items():
            await db.execute(update(User).where(User.email_key == email).values(phone=phone))
        await db.commit()


async def _send_home(client, reason: str = "Feber og udslæt") -> tuple[dict, str]:
    f = await family(client)
    sent = (
        await client.gql("SendChildHome", {"childId": f["liva"], "reason": reason}, as_=PERNILLE)
    )["sendChildHome"]
    jonas = next(email for email in f["liva_links"] if email != METTE)
    return sent, jonas


async def _deliver(runtime, settings, now):
    senders = create_senders(settings)
    try:
        return await deliver_due(
            sessions=runtime.sessions, senders=senders, settings=settings, now=now
        )
    finally:
        await senders.aclose()


async def _records(runtime) -> list[NotificationDelivery]:
    async with all_institutions_session(runtime.sessions) as db:
        rows = list(
            (
                await db.scalars(
                    select(NotificationDelivery).where(NotificationDelivery.channel == "sms")
                )
            ).all()
        )
        await db.commit()
        return rows


async def _reach(client, sent) -> dict[str, dict]:
    seen = (await client.gql("SentHomeReach", {"id": sent["id"]}, as_=SOLSIKKEN_ADMIN))["node"]
    return {r["name"].split()[0]: r for r in seen["sentHomeReach"]}


async def test_a_child_sent_home_goes_by_sms_to_the_guardian_with_a_phone(
    client, runtime, settings, gateway, plan_clock
):
    await _opt_in(client)
    await _phones(runtime, {METTE: METTE_PHONE})
    settings = gateway.settings(settings)
    assert "sms" in live_senders(settings)
    sent, _ = await _send_home(client)
    await _deliver(runtime, settings, utcnow())
    assert gateway.refused == []
    (sms,) = gateway.received
    assert sms["to"] == METTE_PHONE and sms["sender"] == "Seddel"
    assert sms["text"].startswith("Seddel: Dit barn skal hentes.")
    assert "Pernille" in sms["text"] and "/pickup-plans/" in sms["text"]
    assert "Feber" not in sms["text"] and "udslæt" not in sms["text"]  # health stays home
    (record,) = await _records(runtime)
    assert record.status == "delivered" and record.provider_id == "msg-1"
    assert uuid.UUID(sms["reference"])
    reach = await _reach(client, sent)
    assert reach["Mette"]["sms"] == "REACHED"
    assert reach["Jonas"]["sms"] == "OFF"  # no phone number
    # Sent is sent: another round sends nothing again.
    await _deliver(runtime, settings, utcnow() + timedelta(hours=1))
    assert len(gateway.received) == 1


async def test_the_guardians_language_and_bearer_auth(
    client, runtime, settings, gateway, plan_clock
):
    gateway.bearer = True
    await _opt_in(client)
    await _phones(runtime, {METTE: METTE_PHONE})
    async with all_institutions_session(runtime.sessions) as db:
        await db.execute(
            update(User).where(User.email_key == METTE).values(preferred_language="en")
        )
        await db.commit()
    await _send_home(client)
    await _deliver(runtime, gateway.settings(settings), utcnow())
    assert gateway.refused == []
    (sms,) = gateway.received
    assert sms["text"].startswith("Seddel: Your child needs picking up.")


async def test_no_sms_unless_the_institution_opted_in(
    client, runtime, settings, gateway, plan_clock
):
    await _phones(runtime, {METTE: METTE_PHONE})
    sent, _ = await _send_home(client)
    assert await outbox(runtime, channel="sms") == []
    await _deliver(runtime, gateway.settings(settings), utcnow())
    assert gateway.received == []
    assert (await _reach(client, sent))["Mette"]["sms"] == "OFF"


async def test_a_refused_sms_is_given_up_and_a_throttled_one_waits_for_retry_after(
    client, runtime, settings, gateway, plan_clock
):
    await _opt_in(client)
    f = await family(client)
    jonas = next(email for email in f["liva_links"] if email != METTE)
    await _phones(runtime, {METTE: METTE_PHONE, jonas: JONAS_PHONE})
    sent, _ = await _send_home(client, reason="Opkast")
    gateway.answers[METTE_PHONE] = Answer(400, {"error": "number blocked"})
    gateway.answers[JONAS_PHONE] = Answer(429, {"error": "slow down"}, {"Retry-After": "900"})
    now = utcnow()
    settings = gateway.settings(settings)
    await _deliver(runtime, settings, now)
    rows = {r.status: r for r in await outbox(runtime, channel="sms")}
    assert rows["failed"].last_error and "number blocked" in rows["failed"].last_error
    waiting = rows["pending"]
    # The outbox's backoff is 30 s; the gateway asked for 15 minutes.
    assert waiting.due_at.replace(tzinfo=None) >= (now + timedelta(seconds=900)).replace(
        tzinfo=None
    )
    records = {r.status: r for r in await _records(runtime)}
    assert "400" in (records["given_up"].reason or "")
    assert "429" in (records["failed"].reason or "")
    reach = await _reach(client, sent)
    assert reach["Mette"]["sms"] == "NOT_REACHED"
    assert reach["Jonas"]["sms"] == "QUEUED"
    gateway.answers.clear()
    await _deliver(runtime, settings, now + timedelta(seconds=60))
    assert gateway.received == []  # not before Retry-After
    await _deliver(runtime, settings, now + timedelta(seconds=901))
    (sms,) = gateway.received
    assert sms["to"] == JONAS_PHONE
    assert (await _reach(client, sent))["Jonas"]["sms"] == "REACHED"


async def test_over_the_monthly_cap_an_sms_is_not_sent(
    client, runtime, settings, gateway, plan_clock
):
    await _opt_in(client, cap=1)
    f = await family(client)
    jonas = next(email for email in f["liva_links"] if email != METTE)
    await _phones(runtime, {METTE: METTE_PHONE, jonas: JONAS_PHONE})
    sent, _ = await _send_home(client)
    await _deliver(runtime, gateway.settings(settings), utcnow())
    assert len(gateway.received) == 1
    records = sorted(await _records(runtime), key=lambda r: r.status)
    assert [r.status for r in records] == ["delivered", "given_up"]
    assert records[1].reason == "monthly cap"
    reach = await _reach(client, sent)
    assert sorted(r["sms"] for r in reach.values()) == ["NOT_REACHED", "REACHED"]


async def test_without_a_gateway_the_sms_is_given_up_and_said_so(
    client, runtime, settings, plan_clock
):
    await _opt_in(client)
    await _phones(runtime, {METTE: METTE_PHONE})
    settings = replace(settings, sms_gateway_url=None)
    assert "sms" not in live_senders(settings)
    sent, _ = await _send_home(client)
    await _deliver(runtime, settings, utcnow())
    (record,) = await _records(runtime)
    assert record.status == "given_up" and record.reason == "sms gateway not configured"
    assert (await _reach(client, sent))["Mette"]["sms"] == "NOT_REACHED"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("20 30 40 50", "+4520304050"), ("+45 21-31-41-51", "+4521314151"), ("", None)],
)
async def test_phone_numbers_are_stored_in_e164(client, runtime, typed, stored):
    f = await family(client)
    email = f"ny-{uuid.uuid4().hex[:8]}@example.com"
    made = await client.gql(
        "AddGuardian",
        {"input": {"childId": f["liva"], "email": email, "name": "Ny Værge", "phone": typed}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert made["addGuardian"]["__typename"] == "GuardianLink", made
    async with runtime.sessions() as db:
        assert await db.scalar(select(User.phone).where(User.email_key == email)) == stored


@pytest.mark.parametrize("typed", ["123", "+45 1234", "ring til mig", "+999 1234567"])
async def test_a_bad_phone_number_is_refused_and_nothing_is_created(client, runtime, typed):
    f = await family(client)
    email = f"ny-{uuid.uuid4().hex[:8]}@example.com"
    refused = (
        await client.gql(
            "AddGuardian",
            {"input": {"childId": f["liva"], "email": email, "name": "Ny Værge", "phone": typed}},
            as_=SOLSIKKEN_ADMIN,
        )
    )["addGuardian"]
    assert refused["field"] == "phone" and refused["code"] == "INVALID", refused
    async with runtime.sessions() as db:
        assert await db.scalar(select(User.id).where(User.email_key == email)) is None


async def test_the_cap_must_be_in_range(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    bad = (
        await client.gql(
            "UpdateInstitutionSettings",
            {"institution": iid, "input": {"urgentSmsEnabled": True, "smsMonthlyCap": -1}},
            as_=SOLSIKKEN_ADMIN,
        )
    )["updateInstitutionSettings"]
    assert bad["field"] == "smsMonthlyCap"
    seen = (await client.gql("InstitutionSettings", {"id": iid}, as_=SOLSIKKEN_ADMIN))["node"]
    assert seen["settings"]["urgentSmsEnabled"] is False


async def test_an_incident_goes_by_sms_without_its_details(client, runtime, settings, gateway):
    from tests.daybook.helpers import JONAS, at, record, solsikken

    await _opt_in(client)
    await _phones(runtime, {METTE: METTE_PHONE, JONAS: JONAS_PHONE})
    ids = await solsikken(client)
    fall = {"incident": {"description": "Faldt og slog knæet", "firstAid": "Plaster og is"}}
    made = await record(client, ids["liva"], fall, at=at(10, 15))
    assert made["__typename"] == "DayEntry", made
    await _deliver(runtime, gateway.settings(settings), utcnow() + timedelta(minutes=1))
    assert gateway.refused == []
    assert sorted(s["to"] for s in gateway.received) == sorted([METTE_PHONE, JONAS_PHONE])
    for sms in gateway.received:
        assert sms["text"].startswith("Seddel: Hændelse i dag.")
        assert "/daybook/" in sms["text"]
        assert "knæ" not in sms["text"] and "Plaster" not in sms["text"]
    assert {r.status for r in await _records(runtime)} == {"delivered"}


async def test_only_the_institutions_admins_switch_sms_on(client):
    from tests.helpers import REGNBUEN_ADMIN

    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    for who in (PERNILLE, METTE, REGNBUEN_ADMIN):
        refused = (
            await client.gql(
                "UpdateInstitutionSettings",
                {"institution": iid, "input": {"urgentSmsEnabled": True}},
                as_=who,
            )
        )["updateInstitutionSettings"]
        assert refused["__typename"] != "Institution", (who, refused)
    seen = (await client.gql("InstitutionSettings", {"id": iid}, as_=SOLSIKKEN_ADMIN))["node"]
    assert seen["settings"]["urgentSmsEnabled"] is False


async def test_the_sender_reads_each_gateway_answer(settings, gateway):
    from app.notifications.service.sms import HttpSmsSender, Sms

    def sms(to: str) -> Sms:
        return Sms(reference=uuid.uuid4(), to=to, text="Seddel: test")

    sender = HttpSmsSender(gateway.settings(settings))
    try:
        ok = await sender.send(sms(METTE_PHONE))
        assert ok.status == "delivered" and ok.provider_id == "msg-1"
        gateway.answers[JONAS_PHONE] = Answer(503, {"error": "maintenance"}, {"Retry-After": "7"})
        down = await sender.send(sms(JONAS_PHONE))
        assert down.status == "retry" and down.retry_after == 7.0 and "503" in (down.reason or "")
        gateway.answers[JONAS_PHONE] = Answer(429, {"error": "slow down"})
        throttled = await sender.send(sms(JONAS_PHONE))
        assert throttled.status == "retry" and throttled.retry_after is None
    finally:
        await sender.aclose()
    wrong = HttpSmsSender(replace(gateway.settings(settings), sms_password="not-it"))
    try:
        refused = await wrong.send(sms(METTE_PHONE))
        assert refused.status == "rejected" and "401" in (refused.reason or "")
    finally:
        await wrong.aclose()
    gone = HttpSmsSender(replace(gateway.settings(settings), sms_gateway_url="http://127.0.0.1:9/"))
    try:
        unreachable = await gone.send(sms(METTE_PHONE))
        assert unreachable.status == "retry"
    finally:
        await gone.aclose()


class _Killed(BaseException):
    """The worker dies (kill -9) right after the gateway took the SMS."""


async def test_a_worker_dying_after_the_gateway_took_it_resends_the_same_sms_within_the_cap(
    client, runtime, settings, gateway, plan_clock, monkeypatch
):
    from app.notifications.service.sms import HttpSmsSender

    await _opt_in(client, cap=1)
    await _phones(runtime, {METTE: METTE_PHONE})
    sent, _ = await _send_home(client)
    settings = gateway.settings(settings)
    original = HttpSmsSender.send

    async def send_then_die(self, sms):  # type: ignore[no-untyped-def]
        await original(self, sms)
        raise _Killed

    monkeypatch.setattr(HttpSmsSender, "send", send_then_die)
    now = utcnow()
    with pytest.raises(_Killed):
        await _deliver(runtime, settings, now)
    (record,) = await _records(runtime)
    assert record.status == "sent"  # written before the hand-over: it counts against the cap
    assert (await _reach(client, sent))["Mette"]["sms"] == "QUEUED"
    monkeypatch.setattr(HttpSmsSender, "send", original)
    # Before the lease runs out nothing happens; after it, the same SMS again.
    await _deliver(runtime, settings, now + timedelta(seconds=10))
    assert len(gateway.received) == 1
    lease = timedelta(seconds=settings.notify_lease_seconds + 1)
    await _deliver(runtime, settings, now + lease)
    first, again = gateway.received
    assert again["reference"] == first["reference"] and again["text"] == first["text"]
    (record,) = await _records(runtime)
    assert record.status == "delivered"  # a resend, not over the cap of one
    assert (await _reach(client, sent))["Mette"]["sms"] == "REACHED"


def test_the_month_is_the_institutions_local_month():
    from datetime import UTC, datetime

    from app.notifications.service.sms import month_start

    # 00:30 on 1 February in Copenhagen (winter, UTC+1) is still January in UTC.
    assert month_start(datetime(2027, 1, 31, 23, 30, tzinfo=UTC)) == datetime(
        2027, 1, 31, 23, 0, tzinfo=UTC
    )
    assert month_start(datetime(2027, 1, 31, 22, 30, tzinfo=UTC)) == datetime(
        2026, 12, 31, 23, 0, tzinfo=UTC
    )
    # Summer time (UTC+2).
    assert month_start(datetime(2027, 7, 31, 22, 30, tzinfo=UTC)) == datetime(
        2027, 7, 31, 22, 0, tzinfo=UTC
    )


async def test_the_cap_counts_the_local_month_at_its_boundary(
    client, runtime, settings, gateway, plan_clock
):
    """Cap 1. 23:30 on 31 January in Copenhagen: the month's one SMS. 00:30 on 1 February
    local (still January in UTC): a new month, sent. 00:45: over February's cap."""
    from datetime import UTC, datetime

    from tests.daybook.helpers import at, record, solsikken

    await _opt_in(client, cap=1)
    await _phones(runtime, {METTE: METTE_PHONE})
    sms_settings = gateway.settings(settings)
    await _send_home(client)
    await _deliver(runtime, sms_settings, datetime(2027, 1, 31, 22, 30, tzinfo=UTC))
    assert [s["to"] for s in gateway.received] == [METTE_PHONE]
    ids = await solsikken(client)
    fall = {"incident": {"description": "Faldt", "firstAid": "Plaster"}}
    assert (await record(client, ids["liva"], fall, at=at(10, 15)))["__typename"] == "DayEntry"
    await _deliver(runtime, sms_settings, datetime(2027, 1, 31, 23, 30, tzinfo=UTC))
    assert [s["to"] for s in gateway.received] == [METTE_PHONE, METTE_PHONE]
    again = {"incident": {"description": "Faldt igen", "firstAid": "Is"}}
    assert (await record(client, ids["liva"], again, at=at(11, 0)))["__typename"] == "DayEntry"
    await _deliver(runtime, sms_settings, datetime(2027, 1, 31, 23, 45, tzinfo=UTC))
    assert len(gateway.received) == 2
    statuses = sorted((r.status, r.reason or "") for r in await _records(runtime))
    assert statuses == [("delivered", ""), ("delivered", ""), ("given_up", "monthly cap")]

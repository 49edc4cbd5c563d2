"""The outbox and its worker: rows written with the announcement, delivered once, quiet hours,
digests, mute, retries with backoff, and the at-least-once edge."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.core.system_scope import institution_session
from app.db import utcnow
from app.notifications.service import outbox as notifications
from app.notifications.service import preferences
from app.notifications.service.senders import DeliveryFailed, LoggingSender, Senders
from app.notifications.service.worker import deliver_due
from tests.announcements.helpers import JONAS, METTE, PERNILLE, guardians_of_group, post
from tests.notifications.helpers import outbox, user_id

LATER = timedelta(minutes=20)  # past the e-mail digest window


def senders() -> tuple[Senders, LoggingSender]:
    log = LoggingSender()
    return Senders(push=log, email=log), log


async def test_an_announcement_is_delivered_once_per_recipient_and_channel(
    client, runtime, settings
):
    made = await post(client, title="Tur i skoven", body="Hemmelig tekst om Liva")
    recipients = await guardians_of_group(client, "Bjørnene")
    rows = await outbox(runtime)
    assert len(rows) == 2 * len(recipients)
    assert {r.channel for r in rows} == {"push", "email"}
    chosen, log = senders()
    report = await deliver_due(
        sessions=runtime.sessions, senders=chosen, settings=settings, now=utcnow() + LATER
    )
    assert report.sent == len(rows) and report.failed == 0
    assert len(log.pushes) == len(recipients) and len(log.emails) == len(recipients)
    push = log.pushes[0]
    # Who and what kind, never the text (not even an announcement's title).
    assert push.title == "Nyt opslag fra Pernille Holm"
    assert push.body == "Åbn Seddel for at læse den."
    assert push.link.endswith(f"/announcements/{uuid.UUID(rows[0].subject_id.hex)}")
    mail = log.emails[0]
    assert "Pernille Holm" in mail.text and "/announcements/" in mail.text
    assert "Hemmelig" not in mail.text and "Tur i skoven" not in mail.text
    # Never twice: a second round finds nothing.
    again = await deliver_due(
        sessions=runtime.sessions, senders=chosen, settings=settings, now=utcnow() + 2 * LATER
    )
    assert again.handled == 0 and len(log.pushes) == len(recipients)
    assert {r.status for r in await outbox(runtime)} == {"sent"}
    assert made["__typename"] == "Announcement"


async def test_a_sensitive_announcement_has_no_text_in_push(client, runtime, settings):
    await post(client, title="Lus i Bjørnene", isSensitive=True)
    chosen, log = senders()
    await deliver_due(sessions=runtime.sessions, senders=chosen, settings=settings, now=utcnow())
    assert log.pushes and all("Lus" not in p.body and "Lus" not in p.title for p in log.pushes)
    assert log.pushes[0].body == "Åbn Seddel for at læse den."
    assert all(r.preview is None for r in await outbox(runtime))


async def test_quiet_hours_hold_push_until_they_end(client, runtime, settings):
    local = datetime.now(ZoneInfo("Europe/Copenhagen"))
    start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    changed = await client.gql(
        "UpdateNotificationSettings",
        {"input": {"quietHours": {"start": start.isoformat(), "end": end.isoformat()}}},
        as_=METTE,
    )
    assert changed["updateNotificationSettings"]["__typename"] == "NotificationSettings"
    await post(client)
    mette = await user_id(runtime, METTE)
    chosen, log = senders()
    await deliver_due(sessions=runtime.sessions, senders=chosen, settings=settings, now=utcnow())
    assert log.pushes and mette not in {p.user_id for p in log.pushes}
    held = (await outbox(runtime, user_id=mette, channel="push"))[0]
    assert held.status == "pending"
    assert held.due_at > utcnow() + timedelta(hours=1, minutes=50)
    await deliver_due(sessions=runtime.sessions, senders=chosen, settings=settings, now=held.due_at)
    assert mette in {p.user_id for p in log.pushes}


def test_quiet_hours_across_midnight():
    zone = "Europe/Copenhagen"
    start, end = (
        datetime.strptime("21:00", "%H:%M").time(),
        datetime.strptime("07:00", "%H:%M").time(),
    )
    late = datetime(2026, 11, 23, 22, 30, tzinfo=ZoneInfo(zone))
    early = datetime(2026, 11, 24, 6, 0, tzinfo=ZoneInfo(zone))
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=ZoneInfo(zone))
    expected = datetime(2026, 11, 24, 7, 0, tzinfo=ZoneInfo(zone))
    assert preferences.quiet_hours_end(late, start, end, zone) == expected
    assert preferences.quiet_hours_end(early, start, end, zone) == expected
    assert preferences.quiet_hours_end(noon, start, end, zone) is None


async def test_e_mails_are_digests_and_channels_can_be_switched_off(client, runtime, settings):
    await client.gql("UpdateNotificationSettings", {"input": {"pushEnabled": False}}, as_=METTE)
    await client.gql(
        "UpdateNotificationSettings", {"input": {"emailDigestEnabled": False}}, as_=JONAS
    )
    await post(client, title="Første")
    await post(client, title="Andet")
    mette, jonas = await user_id(runtime, METTE), await user_id(runtime, JONAS)
    assert {r.channel for r in await outbox(runtime, user_id=mette)} == {"email"}
    assert {r.channel for r in await outbox(runtime, user_id=jonas)} == {"push"}
    chosen, log = senders()
    await deliver_due(
        sessions=runtime.sessions, senders=chosen, settings=settings, now=utcnow() + LATER
    )
    mails = [m for m in log.emails if m.to_address == METTE]
    assert len(mails) == 1 and len(mails[0].items) == 2  # one digest with both
    assert mails[0].subject == "Seddel: 2 nye"


async def test_muted_recipients_and_repeated_enqueues_add_nothing(runtime):
    mette, jonas = await user_id(runtime, METTE), await user_id(runtime, JONAS)
    chosen_inst = (await outbox(runtime)) or None
    assert chosen_inst is None
    from app.core.system_scope import institution_ids

    async with runtime.sessions() as db:
        institutions = await institution_ids(db)
    subject = uuid.uuid4()
    for _ in range(2):
        async with institution_session(runtime.sessions, institutions[0]) as db, db.begin():
            await notifications.enqueue(
                db=db,
                institution_id=institutions[0],
                recipients=[mette, jonas],
                kind="message",
                subject_id=subject,
                sender_name="Pernille Holm",
                link=f"/threads/{subject}",
                preview="Hej",
                muted=[jonas],
            )
    rows = await outbox(runtime)
    assert {(r.user_id, r.channel) for r in rows} == {(mette, "push"), (mette, "email")}


class Flaky:
    """Fails the first `failures` sends."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.delivered = LoggingSender()

    async def send_push(self, push):
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryFailed("push service unavailable")
        await self.delivered.send_push(push)

    async def send_email(self, email):
        await self.delivered.send_email(email)


async def test_failures_are_retried_with_backoff_and_given_up_after_n(client, runtime, settings):
    settings = dataclasses.replace(settings, notify_max_attempts=3, notify_backoff_seconds=60)
    await post(client, group="Bjørnene")
    mette = await user_id(runtime, METTE)
    flaky = Flaky(failures=10**6)
    chosen = Senders(push=flaky, email=LoggingSender())
    now = utcnow()
    await deliver_due(sessions=runtime.sessions, senders=chosen, settings=settings, now=now)
    row = (await outbox(runtime, user_id=mette, channel="push"))[0]
    assert row.status == "pending" and row.attempts == 1 and "unavailable" in row.last_error
    assert row.due_at == now + timedelta(seconds=60)
    # Not before the backoff has passed.
    early = await deliver_due(
        sessions=runtime.sessions,
        senders=chosen,
        settings=settings,
        now=now + timedelta(seconds=30),
    )
    assert early.handled == 0
    second = now + timedelta(seconds=60)
    await deliver_due(sessions=runtime.sessions, senders=chosen, settings=settings, now=second)
    row = (await outbox(runtime, user_id=mette, channel="push"))[0]
    assert row.attempts == 2 and row.due_at == second + timedelta(seconds=120)  # doubled
    third = second + timedelta(seconds=120)
    report = await deliver_due(
        sessions=runtime.sessions, senders=chosen, settings=settings, now=third
    )
    assert report.failed >= 1
    row = (await outbox(runtime, user_id=mette, channel="push"))[0]
    assert row.status == "failed" and row.attempts == 3
    later = await deliver_due(
        sessions=runtime.sessions, senders=chosen, settings=settings, now=third + timedelta(days=1)
    )
    assert all(p.user_id != mette for p in flaky.delivered.pushes) and later.sent >= 0


async def test_a_transient_failure_is_delivered_on_retry(client, runtime, settings):
    await post(client, group="Bjørnene")
    flaky = Flaky(failures=1)
    chosen = Senders(push=flaky, email=LoggingSender())
    now = utcnow()
    first = await deliver_due(sessions=runtime.sessions, senders=chosen, settings=settings, now=now)
    assert first.retried == 1
    await deliver_due(
        sessions=runtime.sessions, senders=chosen, settings=settings, now=now + timedelta(hours=1)
    )
    pushes = [r for r in await outbox(runtime) if r.channel == "push"]
    assert {r.status for r in pushes} == {"sent"}
    assert len(flaky.delivered.pushes) == len(pushes)


async def test_a_crash_between_send_and_mark_resends_with_the_same_key(client, runtime, settings):
    """The documented at-least-once edge: the lease runs out, the row is sent again, and the
    sender gets the same idempotency key both times."""
    from app.notifications.service import worker

    await post(client, group="Bjørnene")
    now = utcnow()
    async with worker.all_institutions_session(runtime.sessions) as db:
        claimed = await worker._claim(
            db, now=now, batch=100, lease=timedelta(seconds=settings.notify_lease_seconds)
        )
    keys = {r.idempotency_key for r in claimed if r.channel == "push"}
    assert keys  # "sent" by the crashed worker, never marked
    chosen, log = senders()
    during = await deliver_due(
        sessions=runtime.sessions,
        senders=chosen,
        settings=settings,
        now=now + timedelta(seconds=10),
    )
    assert during.handled == 0  # leased: no second worker takes them
    await deliver_due(
        sessions=runtime.sessions,
        senders=chosen,
        settings=settings,
        now=now + timedelta(seconds=settings.notify_lease_seconds + 1),
    )
    assert {p.idempotency_key for p in log.pushes} == keys
    assert PERNILLE  # the author gets nothing of her own
    assert all(p.title.endswith("Pernille Holm") for p in log.pushes)


async def test_each_kind_of_notification_says_what_it_is(runtime, settings):
    """A child sent home or an incident is not announced as "a new message"."""
    from app.core.system_scope import institution_ids

    mette = await user_id(runtime, METTE)
    async with runtime.sessions() as db:
        institution = (await institution_ids(db))[0]
    for kind in ("sent_home", "incident", "pickup_companion_request", "message"):
        async with institution_session(runtime.sessions, institution) as db, db.begin():
            await notifications.enqueue(
                db=db,
                institution_id=institution,
                recipients=[mette],
                kind=kind,
                subject_id=uuid.uuid4(),
                sender_name="Pernille Holm",
                link="/somewhere",
            )
    chosen, log = senders()
    await deliver_due(
        sessions=runtime.sessions, senders=chosen, settings=settings, now=utcnow() + LATER
    )
    titles = sorted(p.title for p in log.pushes)
    assert titles == sorted(
        [
            "Dit barn skal hentes: Pernille Holm har skrevet",
            "Hændelse i dag: Pernille Holm har skrevet",
            "Må børnene følges hjem? Spørgsmål fra Pernille Holm",
            "Ny besked fra Pernille Holm",
        ]
    )
    (mail,) = log.emails
    assert "- Dit barn skulle hentes, skrevet af Pernille Holm" in mail.text
    assert "- Besked fra Pernille Holm" in mail.text

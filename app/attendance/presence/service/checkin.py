"""Check-in and check-out: presence intervals, written through an event log.

Every event carries a client-made ID and the time it happened on the tablet. The ID is the
event log's key, so a retried or late-synced event is applied exactly once (the retry gets
the original result back); events are placed by their own time among the child's stays (a
whole stay synced late, before one already recorded, fits into the gap), refused with a clear
error where they would overlap a stay or find no stay of theirs; events older than 24 hours or
in the future are refused. Rows of one child are serialised by locking the child's row
(PostgreSQL), and the database itself refuses overlapping stays (an exclusion constraint)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.events import DayChanged
from app.attendance.pickup.service.check import PickedUpBy, local_day, who_picked_up
from app.attendance.presence.models import Presence, PresenceEvent
from app.attendance.service import clock
from app.core import events
from app.core.actor import Actor
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.db import write_transaction
from app.institutions.models import Child, Institution

log = logging.getLogger("seddel.presence")

MAX_AGE = timedelta(hours=24)
# Tablet clocks drift a little; anything beyond this is "in the future".
CLOCK_SKEW = timedelta(minutes=2)
UNDO_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True)
class PresenceChange:
    event: PresenceEvent
    presence: Presence | None
    replayed: bool


@dataclass(frozen=True)
class Recorder:
    """Who records the event: the real person (staff, or a guardian at the kiosk), the device."""

    user_id: uuid.UUID
    device_id: uuid.UUID | None


def can_record(actor: Actor, child: Child) -> bool:
    """Staff and admins of the child's institution, signed in as themselves (not a bare
    device: on a staff tablet, someone switches in first)."""
    return actor.works_in(child.institution_id) and not actor.is_bare_device


def check_time(at: datetime, now: datetime) -> None:
    if at.tzinfo is None:
        raise ValidationFailed("naive_time", field="at")
    if at > now + CLOCK_SKEW:
        raise ValidationFailed("event_in_future", field="at")
    if at < now - MAX_AGE:
        raise ValidationFailed("event_too_old", field="at", hours=24)


async def _locked_child(db: AsyncSession, child_id: uuid.UUID) -> Child | None:
    """The child's row, locked until commit: events of one child are applied one at a time."""
    return await db.scalar(select(Child).where(Child.id == child_id).with_for_update())


async def _replay(
    db: AsyncSession, event_id: uuid.UUID, *, kind: str, child_id: uuid.UUID
) -> PresenceChange | None:
    """The original result of an event already applied, or None if the ID is new."""
    event = await db.get(PresenceEvent, event_id)
    if event is None:
        return None
    if event.kind != kind or event.child_id != child_id:
        raise Conflict("event_id_reused", field="eventId")
    presence = await db.get(Presence, event.presence_id) if event.presence_id else None
    return PresenceChange(event=event, presence=presence, replayed=True)


async def _neighbours(
    db: AsyncSession, child_id: uuid.UUID, at: datetime
) -> tuple[Presence | None, Presence | None]:
    """The child's last stay that began at or before `at`, and the first that began after."""
    before = await db.scalar(
        select(Presence)
        .where(Presence.child_id == child_id, Presence.checked_in_at <= at)
        .order_by(Presence.checked_in_at.desc())
        .limit(1)
    )
    after = await db.scalar(
        select(Presence)
        .where(Presence.child_id == child_id, Presence.checked_in_at > at)
        .order_by(Presence.checked_in_at)
        .limit(1)
    )
    return before, after


async def _apply(
    *,
    db: AsyncSession,
    actor: Actor,
    recorder: Recorder | None,
    kind: str,
    child_id: uuid.UUID,
    event_id: uuid.UUID,
    at: datetime,
    picked_up_by: PickedUpBy | None,
    override_reason: str | None,
    now: datetime | None,
) -> PresenceChange:
    now = now or clock.now()
    async with write_transaction(db):
        # The lock first: a retry racing its original waits, then finds it in the log.
        child = await _locked_child(db, child_id)
        if child is None or (recorder is None and not can_record(actor, child)):
            raise NotFound(field="childId")
        replay = await _replay(db, event_id, kind=kind, child_id=child_id)
        if replay is not None:
            return replay
        check_time(at, now)
        at = at.astimezone(UTC)  # as stored: a retry's answer reads the same as the first
        who = recorder or Recorder(user_id=actor.user_id, device_id=actor.device_id)
        event = PresenceEvent(
            id=event_id,
            institution_id=child.institution_id,
            child_id=child.id,
            kind=kind,
            occurred_at=at,
            recorded_at=now,
            recorded_by=who.user_id,
            device_id=who.device_id,
        )
        if kind == "check_in":
            presence = await _check_in(db, child, at, who)
        else:
            presence = await _check_out(
                db, child, at, who, picked_up_by or PickedUpBy(), override_reason, event
            )
        await db.flush()
        event.presence_id = presence.id
        db.add(event)
        await _tell(db, child)
    return PresenceChange(event=event, presence=presence, replayed=False)


async def _tell(db: AsyncSession, child: Child) -> None:
    """The group's tablets and the child's guardians hear of it after the commit (IDs only)."""
    await events.record(db, DayChanged(child.id, child.group_id, "presence", guardians=True))


async def _child_or_none(db: AsyncSession, child_id: uuid.UUID) -> Child:
    child = await db.get(Child, child_id)
    if child is None:
        raise NotFound(field="childId")
    return child


async def _check_in(db: AsyncSession, child: Child, at: datetime, who: Recorder) -> Presence:
    before, after = await _neighbours(db, child.id, at)
    if before is not None and before.checked_out_at is None:
        await _close_forgotten(db, before, at)
    if before is not None and (before.checked_out_at is None or before.checked_out_at > at):
        raise Conflict("already_checked_in", field="childId")
    presence = Presence(
        institution_id=child.institution_id,
        child_id=child.id,
        group_id=child.group_id,
        checked_in_at=at,
        checked_in_by=who.user_id,
        checked_in_device=who.device_id,
    )
    if after is not None:
        # Synced late from a tablet that was offline, before a stay already recorded: the
        # stay cannot stay open (it would overlap the later one), so it is closed by an
        # estimate, as the nightly close would, until its own check-out arrives.
        presence.checked_out_at = min(after.checked_in_at, await _estimated_end(db, child, at))
        presence.checkout_estimated = True
    db.add(presence)
    return presence


async def _estimated_end(db: AsyncSession, child: Child, at: datetime) -> datetime:
    from app.attendance.presence.service.nightly import estimated_end

    institution = await db.get(Institution, child.institution_id)
    assert institution is not None
    return estimated_end(at, institution, await _early_closing(db, institution, at))


async def _early_closing(
    db: AsyncSession, institution: Institution, at: datetime
) -> dict[date, time]:
    """The day of `at` and its early closing time, if the institution closes early then."""
    from zoneinfo import ZoneInfo

    from app.institutions.calendar.service.days import early_closings

    day = at.astimezone(ZoneInfo(institution.timezone)).date()
    return await early_closings(db, institution.id, day, day)


async def _close_forgotten(db: AsyncSession, stay: Presence, at: datetime) -> None:
    """A stay still open from an earlier day (the nightly close has not run yet) is closed
    with an estimated time, as the nightly close would, so today's check-in is not refused."""
    from zoneinfo import ZoneInfo

    from app.attendance.presence.service.nightly import estimated_end

    institution = await db.get(Institution, stay.institution_id)
    assert institution is not None
    zone = ZoneInfo(institution.timezone)
    if stay.checked_in_at.astimezone(zone).date() >= at.astimezone(zone).date():
        return
    early = await _early_closing(db, institution, stay.checked_in_at)
    stay.checked_out_at = min(estimated_end(stay.checked_in_at, institution, early), at)
    stay.checkout_estimated = True


async def _check_out(
    db: AsyncSession,
    child: Child,
    at: datetime,
    who: Recorder,
    picked_up_by: PickedUpBy,
    override_reason: str | None,
    event: PresenceEvent,
) -> Presence:
    before, after = await _neighbours(db, child.id, at)
    # A stay of an earlier day is not this check-out's: children do not stay overnight, and
    # its own check-in may still be on its way from an offline tablet.
    if before is None or await local_day(db, child.institution_id, before.checked_in_at) != (
        await local_day(db, child.institution_id, at)
    ):
        raise Conflict("not_checked_in", field="childId")
    if before.checked_in_at >= at:
        raise ValidationFailed("check_out_before_check_in", field="at")
    if before.checked_out_at is not None and not before.checkout_estimated:
        raise Conflict("already_checked_out", field="childId")
    if after is not None and after.checked_in_at < at:  # pragma: no cover - by the query
        raise Conflict("later_presence_exists", field="at")
    kind, user_id, person_id, name = await who_picked_up(
        db, child, at, picked_up_by, override_reason
    )
    reason = " ".join((override_reason or "").split()) or None
    before.checked_out_at = at
    before.checked_out_by = who.user_id
    before.checked_out_device = who.device_id
    before.checkout_estimated = False
    before.picked_up_by_kind = kind
    before.picked_up_by_user = user_id
    before.picked_up_by_person = person_id
    before.picked_up_by_name = name
    before.override_reason = reason if kind == "other" else None
    if kind == "other":
        event.override_reason = reason
        log.warning(
            "pickup override",
            extra={"child_id": str(child.id), "by": str(who.user_id), "reason": reason},
        )
    return before


async def check_in(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    event_id: uuid.UUID,
    at: datetime,
    now: datetime | None = None,
) -> PresenceChange:
    """Check a child in at `at` (staff; on a tablet, the person switched in)."""
    return await _apply(
        db=db,
        actor=actor,
        recorder=None,
        kind="check_in",
        child_id=child_id,
        event_id=event_id,
        at=at,
        picked_up_by=None,
        override_reason=None,
        now=now,
    )


async def check_out(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    event_id: uuid.UUID,
    at: datetime,
    picked_up_by: PickedUpBy,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> PresenceChange:
    """Check a child out, naming who fetched it: a guardian, an authorised pickup person, or
    (with a reason, logged) someone else."""
    return await _apply(
        db=db,
        actor=actor,
        recorder=None,
        kind="check_out",
        child_id=child_id,
        event_id=event_id,
        at=at,
        picked_up_by=picked_up_by,
        override_reason=override_reason,
        now=now,
    )


async def record_for_kiosk(
    *,
    db: AsyncSession,
    actor: Actor,
    guardian_id: uuid.UUID,
    guardian_link_id: uuid.UUID,
    kind: str,
    child_id: uuid.UUID,
    event_id: uuid.UUID,
    at: datetime,
    now: datetime | None = None,
) -> PresenceChange:
    """A guardian verified at the kiosk checks their child in or out (kiosk checks who)."""
    return await _apply(
        db=db,
        actor=actor,
        recorder=Recorder(user_id=guardian_id, device_id=actor.device_id),
        kind=kind,
        child_id=child_id,
        event_id=event_id,
        at=at,
        picked_up_by=PickedUpBy(guardian_link_id=guardian_link_id) if kind == "check_out" else None,
        override_reason=None,
        now=now,
    )


async def undo(
    *,
    db: AsyncSession,
    actor: Actor,
    event_id: uuid.UUID,
    target_event_id: uuid.UUID,
    now: datetime | None = None,
) -> PresenceChange:
    """Take back a check-in or check-out within two minutes of recording it."""
    now = now or clock.now()
    try:
        return await _undo(db, actor, event_id, target_event_id, now)
    except IntegrityError as exc:  # a concurrent retry of the same undo won the race
        await db.rollback()
        async with write_transaction(db):
            event = await db.get(PresenceEvent, event_id)
            if event is None:
                raise exc
            return await _undo_replay(db, actor, event)


async def _undo_replay(db: AsyncSession, actor: Actor, event: PresenceEvent) -> PresenceChange:
    child = await _child_or_none(db, event.child_id)
    if event.kind != "undo" or not can_record(actor, child):
        raise Conflict("event_id_reused", field="eventId")
    presence = await db.get(Presence, event.presence_id) if event.presence_id else None
    return PresenceChange(event=event, presence=presence, replayed=True)


async def _undo(
    db: AsyncSession, actor: Actor, event_id: uuid.UUID, target_event_id: uuid.UUID, now: datetime
) -> PresenceChange:
    async with write_transaction(db):
        existing = await db.get(PresenceEvent, event_id)
        if existing is not None:
            if existing.target_event_id != target_event_id:
                raise Conflict("event_id_reused", field="eventId")
            return await _undo_replay(db, actor, existing)
        target = await db.get(PresenceEvent, target_event_id)
        child = await _locked_child(db, target.child_id) if target else None
        if target is None or child is None or not can_record(actor, child):
            raise NotFound(field="targetEventId")
        if target.kind not in ("check_in", "check_out") or target.undone_at is not None:
            raise Conflict("undo_not_possible", field="targetEventId")
        if now - target.recorded_at > UNDO_WINDOW:
            raise Conflict("undo_too_late", field="targetEventId", minutes=2)
        presence = await db.get(Presence, target.presence_id) if target.presence_id else None
        if presence is None:
            raise Conflict("undo_not_possible", field="targetEventId")
        if target.kind == "check_in":
            # A stay closed only by an estimate (synced before a later one) has no real
            # check-out yet: its check-in can still be taken back.
            if presence.checked_out_at is not None and not presence.checkout_estimated:
                raise Conflict("undo_not_possible", field="targetEventId")
            await db.delete(presence)
            result: Presence | None = None
        else:
            later = await db.scalar(
                select(Presence.id).where(
                    Presence.child_id == child.id,
                    Presence.checked_in_at > presence.checked_in_at,
                )
            )
            if later is not None or presence.checked_out_at != target.occurred_at:
                raise Conflict("undo_not_possible", field="targetEventId")
            presence.checked_out_at = None
            presence.checked_out_by = presence.checked_out_device = None
            presence.picked_up_by_kind = presence.picked_up_by_name = None
            presence.picked_up_by_user = presence.picked_up_by_person = None
            presence.override_reason = None
            presence.checkout_estimated = False
            result = presence
        target.undone_at = now
        event = PresenceEvent(
            id=event_id,
            institution_id=child.institution_id,
            child_id=child.id,
            kind="undo",
            occurred_at=now,
            recorded_at=now,
            recorded_by=actor.user_id,
            device_id=actor.device_id,
            presence_id=target.presence_id,
            target_event_id=target.id,
        )
        db.add(event)
        await _tell(db, child)
    return PresenceChange(event=event, presence=result, replayed=False)


async def presence_on(
    *, db: AsyncSession, child_ids: list[uuid.UUID], start: datetime, end: datetime
) -> list[Presence]:
    """Stays of these children touching [start, end), in time order (callers check who)."""
    if not child_ids:
        return []
    rows = await db.scalars(
        select(Presence)
        .where(
            Presence.child_id.in_(child_ids),
            Presence.checked_in_at < end,
            (Presence.checked_out_at.is_(None)) | (Presence.checked_out_at > start),
        )
        .order_by(Presence.checked_in_at, Presence.id)
    )
    return list(rows.all())

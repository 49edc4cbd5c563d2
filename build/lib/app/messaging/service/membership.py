"""Guardians' participation follows their children.

Recipients are resolved once, when a thread starts: a guardian who joins a group later never
sees its old threads. The other way round, a guardian reached through a child (a thread about
the child, a broadcast to the child's group or to all guardians) leaves such a thread when
that reason is gone: the child moved to another group, left the institution, or the guardian's
link to it ended or lost its access. Leaving is what `leaveThread` does (`left_at`): what
came before stays readable, nothing new arrives. In a sensitive thread a guardian without a
full-access link to any of its children is removed instead, as marking a thread sensitive
removes the information-only guardians.

When the institutions slice records `GuardianReachChanged` (a child or a guardian link
changed), `end_lapsed_participation` runs in that transaction; `departed_children_job`
(hourly, for `seddel worker`) does the same for children whose last day has passed. Each
participant's reasons are its `ParticipantBasis` rows, written when the thread starts or
participants are added.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.core import events
from app.core.system_scope import institution_ids, institution_session
from app.db import utcnow, write_transaction
from app.institutions.events import GuardianReachChanged
from app.institutions.models import Child, GuardianLink, Institution
from app.institutions.service.lookups import institution_today
from app.messaging.models import Participant, ParticipantBasis, Thread

log = logging.getLogger("seddel.jobs")

Bases = Mapping[uuid.UUID, Mapping[uuid.UUID, uuid.UUID | None]]


def basis_rows(
    participants: Sequence[Participant],
    bases: Bases,
    children: Collection[uuid.UUID] | None = None,
) -> list[ParticipantBasis]:
    """Rows for new guardian participants (only those about `children`, when given: one
    family's thread of a message that fanned out)."""
    return [
        ParticipantBasis(
            participant_id=p.id,
            child_id=child_id,
            group_id=group_id,
            institution_id=p.institution_id,
        )
        for p in participants
        if p.role == "guardian" and p.user_id is not None
        for child_id, group_id in bases.get(p.user_id, {}).items()
        if children is None or child_id in children
    ]


async def merge_bases(
    db: AsyncSession,
    participants: Sequence[Participant],
    bases: Bases,
    *,
    fresh: Collection[uuid.UUID],
) -> None:
    """Participants added later (`fresh`: new or back) or reached again: add their reasons;
    a child itself outweighs the child's group. A guardian who already takes part as a
    person (no reasons recorded) stays one."""
    guardians = [p for p in participants if p.role == "guardian" and p.user_id in bases]
    if not guardians:
        return
    rows = await db.scalars(
        select(ParticipantBasis).where(
            ParticipantBasis.participant_id.in_([p.id for p in guardians])
        )
    )
    existing = {(row.participant_id, row.child_id): row for row in rows.all()}
    with_reasons = {participant_id for participant_id, _ in existing} | set(fresh)
    for row in basis_rows([p for p in guardians if p.id in with_reasons], bases):
        old = existing.get((row.participant_id, row.child_id))
        if old is None:
            db.add(row)
        elif old.group_id is not None:
            old.group_id = row.group_id


def _still_reached(today: date) -> Any:
    """A correlated condition on (Participant, Thread): one of the participant's bases holds."""
    basis, link, child = aliased(ParticipantBasis), aliased(GuardianLink), aliased(Child)
    return exists().where(
        basis.participant_id == Participant.id,
        link.child_id == basis.child_id,
        link.user_id == Participant.user_id,
        or_(link.access == "full", and_(link.access == "information", ~Thread.sensitive)),
        child.id == basis.child_id,
        or_(child.active_until.is_(None), child.active_until >= today),
        or_(basis.group_id.is_(None), child.group_id == basis.group_id),
    )


def _full_access() -> Any:
    """A correlated condition: the participant has full access to one of their bases' children."""
    basis, link = aliased(ParticipantBasis), aliased(GuardianLink)
    return exists().where(
        basis.participant_id == Participant.id,
        link.child_id == basis.child_id,
        link.user_id == Participant.user_id,
        link.access == "full",
    )


async def end_lapsed_participation(
    db: AsyncSession,
    *,
    institution_id: uuid.UUID,
    today: date,
    child_ids: Collection[uuid.UUID],
    user_id: uuid.UUID | None = None,
) -> int:
    """Inside the caller's transaction, after its change is flushed: guardians reached
    through these children (only `user_id`, when given) whose every reason is gone leave
    their threads. Returns how many participations ended."""
    if not child_ids:
        return 0
    candidates = select(ParticipantBasis.participant_id).where(
        ParticipantBasis.institution_id == institution_id,
        ParticipantBasis.child_id.in_(child_ids),
    )
    statement = (
        select(Participant.id, and_(Thread.sensitive, ~_full_access()))
        .join(Thread, Thread.id == Participant.thread_id)
        .where(
            Participant.id.in_(candidates),
            Participant.institution_id == institution_id,
            Participant.kind == "user",
            Participant.role == "guardian",
            Participant.left_at.is_(None),
            Participant.removed_at.is_(None),
            Participant.user_id != Thread.created_by,  # one's own thread is never left for one
            ~_still_reached(today),
        )
    )
    if user_id is not None:
        statement = statement.where(Participant.user_id == user_id)
    lapsed = (await db.execute(statement)).all()
    if not lapsed:
        return 0
    now = utcnow()
    removed = [pid for pid, remove in lapsed if remove]
    left = [pid for pid, remove in lapsed if not remove]
    for ids, column in ((left, "left_at"), (removed, "removed_at")):
        if ids:
            await db.execute(
                update(Participant)
                .where(Participant.id.in_(ids))
                .values({column: now})
                .execution_options(synchronize_session=False)
            )
    return len(lapsed)


async def end_departed_children(
    *, db: AsyncSession, institution_id: uuid.UUID, now: datetime
) -> int:
    """The institution's children whose last day has passed: their guardians leave the
    threads they took part in through them (unless another reason holds)."""
    async with write_transaction(db):
        zone = await db.scalar(select(Institution.timezone).where(Institution.id == institution_id))
        today = now.astimezone(ZoneInfo(zone or "Europe/Copenhagen")).date()
        departed = select(Child.id).where(
            Child.institution_id == institution_id, Child.active_until < today
        )
        still_taking_part = select(ParticipantBasis.child_id).where(
            ParticipantBasis.institution_id == institution_id,
            ParticipantBasis.child_id.in_(departed),
            ParticipantBasis.participant_id.in_(
                select(Participant.id).where(
                    Participant.institution_id == institution_id,
                    Participant.left_at.is_(None),
                    Participant.removed_at.is_(None),
                )
            ),
        )
        child_ids = set((await db.scalars(still_taking_part)).all())
        return await end_lapsed_participation(
            db, institution_id=institution_id, today=today, child_ids=child_ids
        )


@events.on(GuardianReachChanged)
async def reach_changed(db: AsyncSession, happened: GuardianReachChanged) -> None:
    await end_lapsed_participation(
        db,
        institution_id=happened.institution_id,
        today=await institution_today(db, happened.institution_id),
        child_ids=happened.child_ids,
        user_id=happened.user_id,
    )


async def departed_children_job(context: Any) -> int:
    """For `seddel worker`, hourly and idempotent: the first run after an institution's
    midnight ends what the last day closed. `context` is app.ops.jobs.JobContext."""
    async with context.sessions() as db:
        ids = await institution_ids(db)
    ended = 0
    for institution_id in ids:
        try:
            async with institution_session(context.sessions, institution_id) as db:
                ended += await end_departed_children(
                    db=db, institution_id=institution_id, now=context.now
                )
        except Exception:
            log.exception("ending departed children's threads failed for %s", institution_id)
    log.info("departed children: %d participations ended", ended)
    return ended

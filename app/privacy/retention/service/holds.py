"""Placing, releasing and listing legal holds (admins of the institution only).

A thread belongs to messaging, a higher slice than this one: messaging registers how a
thread's institution is found (`register_thread_institution`), as notifications' badge
counter is registered upward, so no import points the wrong way."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.db import utcnow, write_transaction
from app.institutions.models import Child
from app.privacy.retention.models import REASON_MAX, LegalHold
from app.privacy.retention.policies import may_hold, visible_holds

ThreadInstitution = Callable[[AsyncSession, uuid.UUID], Awaitable[uuid.UUID | None]]
_thread_institution: list[ThreadInstitution] = []


def register_thread_institution(lookup: ThreadInstitution) -> ThreadInstitution:
    """Messaging tells which institution a thread is in (None: no such thread in scope)."""
    _thread_institution[:] = [lookup]
    return lookup


async def _subject_institution(
    db: AsyncSession, *, child_id: uuid.UUID | None, thread_id: uuid.UUID | None
) -> tuple[uuid.UUID | None, str]:
    if child_id is not None:
        return await db.scalar(select(Child.institution_id).where(Child.id == child_id)), "childId"
    assert thread_id is not None
    if not _thread_institution:
        raise RuntimeError("no thread lookup registered (import app.root.handlers)")
    return await _thread_institution[0](db, thread_id), "threadId"


async def place_legal_hold(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID | None,
    thread_id: uuid.UUID | None,
    reason: str,
) -> LegalHold:
    """Hold a child (everything of the child) or a thread (with its replies and files) from
    every deletion until an admin releases it. More than one hold may rest on one subject
    (two cases): each is released on its own."""
    if (child_id is None) == (thread_id is None):
        raise ValidationFailed("legal_hold_one_subject", field="childId")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("required", field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed("too_long", field="reason", max=REASON_MAX)
    async with write_transaction(db):
        institution_id, field = await _subject_institution(
            db, child_id=child_id, thread_id=thread_id
        )
        if institution_id is None or not may_hold(actor, institution_id):
            raise NotFound(field=field)
        hold = LegalHold(
            institution_id=institution_id,
            child_id=child_id,
            thread_id=thread_id,
            reason=reason,
            placed_by=actor.user_id,
            placed_by_name=actor.name,
            placed_at=utcnow(),
        )
        db.add(hold)
    return hold


async def release_legal_hold(*, db: AsyncSession, actor: Actor, hold_id: uuid.UUID) -> LegalHold:
    """End a hold: from the next retention run on, what it kept may go (when nothing else
    holds it). The hold stays listed, with who released it and when."""
    async with write_transaction(db):
        hold = await db.scalar(
            select(LegalHold).where(LegalHold.id == hold_id, visible_holds(actor))
        )
        if hold is None:
            raise NotFound(field="legalHoldId")
        if hold.released_at is not None:
            raise Conflict("legal_hold_already_released", field="legalHoldId")
        hold.released_at = utcnow()
        hold.released_by = actor.user_id
        hold.released_by_name = actor.name
    return hold


async def legal_holds(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, in_force_only: bool = False
) -> list[LegalHold]:
    """The institution's holds, newest first (admins); NotFound for anyone else."""
    if not may_hold(actor, institution_id):
        raise NotFound(field="institutionId")
    query = select(LegalHold).where(
        LegalHold.institution_id == institution_id, visible_holds(actor)
    )
    if in_force_only:
        query = query.where(LegalHold.released_at.is_(None))
    rows = await db.scalars(query.order_by(LegalHold.placed_at.desc(), LegalHold.id.desc()))
    return list(rows.all())

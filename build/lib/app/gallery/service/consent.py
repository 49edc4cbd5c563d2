"""Use cases of photo consent (samtykke): custody guardians answer, everyone else reads the
effective consent through one SQL rule (app.gallery.policies.effective_rank)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.db import utcnow, write_transaction
from app.gallery.models import CONSENT_LEVELS, PhotoConsent, PhotoConsentChange
from app.gallery.policies import can_answer_consent
from app.institutions.models import Child


async def set_photo_consent(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, level: str
) -> Child:
    """A custody guardian answers for the child; the change is kept with who and when."""
    if level not in CONSENT_LEVELS:
        raise ValidationFailed("invalid_consent_level", field="level")
    if not can_answer_consent(actor, child_id):
        raise NotFound(field="childId")
    institution_id = actor.children[child_id].institution_id
    async with write_transaction(db):
        child = await db.get(Child, child_id)
        if child is None:
            raise NotFound(field="childId")
        current = await db.scalar(
            select(PhotoConsent).where(
                PhotoConsent.child_id == child_id, PhotoConsent.user_id == actor.user_id
            )
        )
        if current is not None and current.level == level:
            return child
        if current is None:
            db.add(
                PhotoConsent(
                    institution_id=institution_id,
                    child_id=child_id,
                    user_id=actor.user_id,
                    level=level,
                )
            )
        else:
            current.level = level
        db.add(
            PhotoConsentChange(
                institution_id=institution_id,
                child_id=child_id,
                user_id=actor.user_id,
                level=level,
                created_at=utcnow(),
            )
        )
    return child


async def group_children(*, db: AsyncSession, actor: Actor, group_id: uuid.UUID) -> list[Child]:
    """The group's active children, for the staff who photograph them (others: nothing)."""
    rows = await db.scalars(
        select(Child)
        .where(
            Child.group_id == group_id,
            Child.active_until.is_(None) | (Child.active_until >= utcnow().date()),
            Child.institution_id.in_(actor.employed_in),
        )
        .order_by(Child.first_name, Child.last_name, Child.id)
    )
    return list(rows.all())

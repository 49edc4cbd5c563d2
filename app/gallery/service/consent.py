"""Use cases of photo consent (samtykke): custody guardians answer, everyone else reads the
effective consent through one SQL rule (app.gallery.policies.effective_rank)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.db import utcnow, write_transaction
from app.gallery.models import CONSENT_LEVELS, PhotoConsent, PhotoConsentChange
from app.gallery.policies import can_answer_consent, effective_rank
from app.institutions.models import Child, GuardianLink
from app.institutions.policies import visible_children


@dataclass(frozen=True)
class ConsentAnswer:
    """A custody guardian's current answer (level None: not answered, the default applies)."""

    child_id: uuid.UUID
    user_id: uuid.UUID
    guardian_name: str
    level: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class ConsentChange:
    child_id: uuid.UUID
    user_id: uuid.UUID
    guardian_name: str
    level: str
    changed_at: datetime


def level_of(rank: int) -> str:
    return CONSENT_LEVELS[rank]


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


async def effective_consents(
    db: AsyncSession, actor: Actor, child_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Effective consent of each child the actor may see, in one statement."""
    if not child_ids:
        return {}
    rows = await db.execute(
        select(Child.id, effective_rank(Child.id)).where(
            Child.id.in_(child_ids), visible_children(actor)
        )
    )
    return {child_id: level_of(int(rank)) for child_id, rank in rows.all()}


def _answers_scope(actor: Actor) -> ColumnElement[bool]:
    """Staff see every custody guardian's answer; a guardian sees their own."""
    return or_(
        GuardianLink.institution_id.in_(actor.employed_in),
        GuardianLink.user_id == actor.user_id,
    )


async def consent_answers(
    db: AsyncSession, actor: Actor, child_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ConsentAnswer]]:
    """The answers of each child's custody guardians, as far as the actor may see them."""
    rows = await db.execute(
        select(
            GuardianLink.child_id,
            GuardianLink.user_id,
            User.name,
            PhotoConsent.level,
            PhotoConsent.updated_at,
        )
        .join(User, User.id == GuardianLink.user_id)
        .outerjoin(
            PhotoConsent,
            and_(
                PhotoConsent.child_id == GuardianLink.child_id,
                PhotoConsent.user_id == GuardianLink.user_id,
            ),
        )
        .where(
            GuardianLink.child_id.in_(child_ids),
            GuardianLink.has_custody.is_(True),
            _answers_scope(actor),
        )
        .order_by(GuardianLink.created_at, GuardianLink.id)
    )
    by_child: dict[uuid.UUID, list[ConsentAnswer]] = defaultdict(list)
    for child_id, user_id, name, level, at in rows.all():
        by_child[child_id].append(ConsentAnswer(child_id, user_id, name, level, at))
    return by_child


async def consent_history(
    db: AsyncSession, actor: Actor, child_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ConsentChange]]:
    """Every change, newest first: all of them for staff, their own for a guardian."""
    rows = await db.execute(
        select(
            PhotoConsentChange.child_id,
            PhotoConsentChange.user_id,
            User.name,
            PhotoConsentChange.level,
            PhotoConsentChange.created_at,
        )
        .join(User, User.id == PhotoConsentChange.user_id)
        .where(
            PhotoConsentChange.child_id.in_(child_ids),
            or_(
                PhotoConsentChange.institution_id.in_(actor.employed_in),
                and_(
                    PhotoConsentChange.user_id == actor.user_id,
                    PhotoConsentChange.child_id.in_(actor.guardian_of),
                ),
            ),
        )
        .order_by(PhotoConsentChange.created_at.desc(), PhotoConsentChange.id.desc())
    )
    by_child: dict[uuid.UUID, list[ConsentChange]] = defaultdict(list)
    for child_id, user_id, name, level, at in rows.all():
        by_child[child_id].append(ConsentChange(child_id, user_id, name, level, at))
    return by_child


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

"""Notifications of the pickup plan, written to the outbox inside the change's transaction:
a child sent home (its guardians, at once), a "goes home with my child" request (the other
child's custody guardians) and its answer (the requesting child's guardians).

Like an incident's: push now (held only by the recipient's own quiet hours), the e-mail in
the digest; each carries the sender and a link to the plan entry, never the note or reason
(a sickness is health data)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.plans.models import PickupPlan, PickupPlanChange
from app.core.actor import Actor
from app.institutions.models import GuardianLink
from app.notifications.service import outbox as notifications


def entry_link(entry_id: uuid.UUID) -> str:
    """Where the apps open a plan entry; e-mails put the public URL in front."""
    return f"/pickup-plans/{entry_id}"


async def guardians_with_access(db: AsyncSession, child_id: uuid.UUID) -> list[uuid.UUID]:
    """Everyone the child's plan is shown to at home: guardians whose access is not none."""
    rows = await db.scalars(
        select(GuardianLink.user_id).where(
            GuardianLink.child_id == child_id, GuardianLink.access != "none"
        )
    )
    return list(rows.all())


async def custody_guardians(db: AsyncSession, child_id: uuid.UUID) -> list[uuid.UUID]:
    """Those who answer for the child: custody and full access (policies.custody_children)."""
    rows = await db.scalars(
        select(GuardianLink.user_id).where(
            GuardianLink.child_id == child_id,
            GuardianLink.has_custody.is_(True),
            GuardianLink.access == "full",
        )
    )
    return list(rows.all())


async def _enqueue(
    db: AsyncSession,
    actor: Actor,
    row: PickupPlan,
    change: PickupPlanChange,
    kind: str,
    recipients: Collection[uuid.UUID],
) -> int:
    # One notification per logged change: sending a child home twice tells twice.
    return await notifications.enqueue(
        db=db,
        institution_id=row.institution_id,
        recipients=set(recipients) - {actor.user_id},
        kind=kind,
        subject_id=change.id,
        sender_name=actor.name,
        link=entry_link(row.id),
        sensitive=True,
    )


async def notify_sent_home(
    db: AsyncSession, actor: Actor, row: PickupPlan, change: PickupPlanChange
) -> int:
    return await _enqueue(
        db, actor, row, change, "sent_home", await guardians_with_access(db, row.child_id)
    )


async def notify_companion_request(
    db: AsyncSession, actor: Actor, row: PickupPlan, change: PickupPlanChange
) -> int:
    assert row.companion_child_id is not None
    recipients = await custody_guardians(db, row.companion_child_id)
    return await _enqueue(db, actor, row, change, "pickup_companion_request", recipients)


async def notify_companion_answer(
    db: AsyncSession, actor: Actor, row: PickupPlan, change: PickupPlanChange
) -> int:
    recipients = await guardians_with_access(db, row.child_id)
    return await _enqueue(db, actor, row, change, "pickup_companion_answer", recipients)

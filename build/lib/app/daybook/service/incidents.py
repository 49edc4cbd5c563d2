"""Incidents in the daily log: each guardian with access to the child gets a receipt and a
notification (again on every correction), and confirms having read the current version."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.daybook.models import DayEntry, IncidentReceipt
from app.daybook.policies import is_guardian_of, visible_day_entries
from app.db import new_id, utcnow, write_transaction
from app.institutions.models import GuardianLink
from app.notifications.service import outbox as notifications


def _getter(entry: DayEntry | dict[str, Any]) -> Callable[[str], Any]:
    if isinstance(entry, dict):
        return entry.__getitem__
    return lambda key: getattr(entry, key)


def entry_link(entry_id: uuid.UUID) -> str:
    """Where the apps open an entry; e-mails put the public URL in front."""
    return f"/daybook/{entry_id}"


async def notify_incident(
    db: AsyncSession, actor: Actor, entry: DayEntry | dict[str, Any]
) -> list[uuid.UUID]:
    """Inside the write transaction: a receipt for each guardian with access to the child
    and their notification in the outbox (a correction marks the receipts notified again
    and notifies anew). Returns whom it told."""
    get = _getter(entry)
    entry_id: uuid.UUID = get("id")
    version: int = get("version")
    users = list(
        (
            await db.scalars(
                select(GuardianLink.user_id).where(
                    GuardianLink.child_id == get("child_id"), GuardianLink.access != "none"
                )
            )
        ).all()
    )
    now = utcnow()
    if version == 1:
        if users:
            await db.execute(
                insert(IncidentReceipt),
                [
                    {
                        "id": new_id(),
                        "institution_id": get("institution_id"),
                        "entry_id": entry_id,
                        "user_id": user_id,
                        "notified_at": now,
                        "confirmed_at": None,
                        "confirmed_version": None,
                    }
                    for user_id in users
                ],
            )
    else:
        await db.execute(
            update(IncidentReceipt)
            .where(IncidentReceipt.entry_id == entry_id)
            .values(notified_at=now)
        )
    await notifications.enqueue(
        db=db,
        institution_id=get("institution_id"),
        recipients=users,
        kind="incident" if version == 1 else "incident_corrected",
        # One notification per version: the outbox is idempotent per (kind, subject, user).
        subject_id=entry_id if version == 1 else uuid.uuid5(entry_id, f"version-{version}"),
        sender_name=actor.name,
        link=entry_link(entry_id),
        preview=get("details")["description"],
        # Health and accidents of a child: no text on lock screens or in e-mails.
        sensitive=True,
        now=now,
    )
    return users


async def confirm_incident(*, db: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> DayEntry:
    """A guardian confirms having read the current version of an incident."""
    async with write_transaction(db):
        entry = await db.scalar(
            select(DayEntry).where(DayEntry.id == entry_id, visible_day_entries(actor))
        )
        if entry is None or entry.kind != "incident" or entry.deleted_at is not None:
            raise NotFound(field="entryId")
        if not is_guardian_of(actor, entry.child_id):
            raise ValidationFailed("only_guardians_confirm", field="entryId")
        receipt = await db.scalar(
            select(IncidentReceipt).where(
                IncidentReceipt.entry_id == entry.id, IncidentReceipt.user_id == actor.user_id
            )
        )
        if receipt is None:  # a guardian linked after the incident was recorded
            receipt = IncidentReceipt(
                institution_id=entry.institution_id, entry_id=entry.id, user_id=actor.user_id
            )
            db.add(receipt)
        receipt.confirmed_at = utcnow()
        receipt.confirmed_version = entry.version
    return entry

"""Use cases of pickup: the people a guardian with custody authorised, and the codeword."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service.phones import e164
from app.attendance.events import PickupPersonWithdrawn
from app.attendance.pickup.models import PickupCodeword, PickupPerson
from app.attendance.pickup.policies import (
    can_manage_pickup,
    can_read_codeword,
    visible_pickup_persons,
)
from app.attendance.pickup.service.photos import forget_file
from app.core import events
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.core.values import clean_name
from app.db import write_transaction
from app.institutions.models import Child


def _validate(
    *, name: str, phone: str, valid_from: date | None, valid_until: date | None
) -> tuple[str, str]:
    cleaned = clean_name(name, "name", 200)
    number = e164(phone) or ""  # the one phone rule (E.164, Denmark when no country code)
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationFailed("period_order", field="validUntil")
    return cleaned, number


def _managed_child(actor: Actor, child_id: uuid.UUID) -> uuid.UUID:
    """The child's institution, if the actor may manage its pickups; otherwise not found."""
    if not can_manage_pickup(actor, child_id):
        raise NotFound(field="childId")
    return actor.children[child_id].institution_id


async def pickup_persons(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID
) -> list[PickupPerson]:
    """Who may pick the child up, by name."""
    rows = await db.scalars(
        select(PickupPerson)
        .where(PickupPerson.child_id == child_id, visible_pickup_persons(actor))
        .order_by(PickupPerson.name, PickupPerson.id)
    )
    return list(rows.all())


async def add_pickup_person(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    name: str,
    relation: str = "",
    phone: str = "",
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> PickupPerson:
    """Authorise someone to pick the child up (guardians with custody)."""
    institution_id = _managed_child(actor, child_id)
    cleaned, number = _validate(
        name=name, phone=phone, valid_from=valid_from, valid_until=valid_until
    )
    async with write_transaction(db):
        person = PickupPerson(
            institution_id=institution_id,
            child_id=child_id,
            name=cleaned,
            relation=relation.strip()[:100],
            phone=number,
            valid_from=valid_from,
            valid_until=valid_until,
            created_by=actor.user_id,
        )
        db.add(person)
    return person


async def _managed_person(db: AsyncSession, actor: Actor, person_id: uuid.UUID) -> PickupPerson:
    person = await db.get(PickupPerson, person_id)
    if person is None or not can_manage_pickup(actor, person.child_id):
        raise NotFound(field="pickupPersonId")
    return person


async def update_pickup_person(
    *,
    db: AsyncSession,
    actor: Actor,
    person_id: uuid.UUID,
    name: str,
    relation: str,
    phone: str,
    valid_from: date | None,
    valid_until: date | None,
) -> PickupPerson:
    """Replace a pickup person's details."""
    cleaned, number = _validate(
        name=name, phone=phone, valid_from=valid_from, valid_until=valid_until
    )
    async with write_transaction(db):
        person = await _managed_person(db, actor, person_id)
        person.name, person.relation, person.phone = cleaned, relation.strip()[:100], number
        person.valid_from, person.valid_until = valid_from, valid_until
    return person


async def remove_pickup_person(*, db: AsyncSession, actor: Actor, person_id: uuid.UUID) -> None:
    """Withdraw an authorisation (the plans naming the person go too, each with a trace in
    the plan's history); the photo's objects go after the commit."""
    async with write_transaction(db):
        person = await _managed_person(db, actor, person_id)
        photo = person.photo_file_id
        await events.record(db, PickupPersonWithdrawn(person.id, withdrawn_by=actor.user_id))
        await db.flush()
        await db.delete(person)
        await db.flush()
        await forget_file(db, photo)


async def set_codeword(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, codeword: str | None
) -> None:
    """Set (or with None/empty, clear) the child's pickup codeword."""
    institution_id = _managed_child(actor, child_id)
    word = " ".join((codeword or "").split())
    if len(word) > 100:
        raise ValidationFailed("too_long", field="codeword", max=100)
    async with write_transaction(db):
        existing = await db.get(PickupCodeword, child_id)
        if not word:
            if existing is not None:
                await db.delete(existing)
            return
        if existing is None:
            db.add(
                PickupCodeword(
                    child_id=child_id,
                    institution_id=institution_id,
                    codeword=word,
                    set_by=actor.user_id,
                )
            )
        else:
            existing.codeword, existing.set_by = word, actor.user_id


async def codeword(*, db: AsyncSession, actor: Actor, child: Child) -> tuple[bool, str | None]:
    """(is set, the word): the word only for the institution's staff, whether it is set also
    for the child's guardians; nothing for anyone else."""
    staff = can_read_codeword(actor, child.institution_id)
    if not staff and child.id not in actor.children:
        return False, None
    row = await db.get(PickupCodeword, child.id)
    if row is None:
        return False, None
    return True, row.codeword if staff else None

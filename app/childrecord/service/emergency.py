"""Emergency contacts of the child: someone to call besides the guardians."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.childrecord.models import EmergencyContact
from app.childrecord.policies import can_edit_record
from app.childrecord.service import checks
from app.childrecord.service.record import editable_child
from app.core.actor import Actor
from app.core.errors import NotFound
from app.db import write_transaction


def _cleaned(name: str, relation: str, phone: str) -> tuple[str, str, str]:
    return (
        checks.name(name, "name", 200),
        checks.text(relation, "relation"),
        checks.phone(phone, "phone", required=True),
    )


async def add_emergency_contact(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, name: str, relation: str, phone: str
) -> EmergencyContact:
    """Add someone to call (custody holders with full access)."""
    institution_id = editable_child(actor, child_id)
    cleaned, relation_text, number = _cleaned(name, relation, phone)
    async with write_transaction(db):
        contact = EmergencyContact(
            institution_id=institution_id,
            child_id=child_id,
            name=cleaned,
            relation=relation_text,
            phone=number,
            created_by=actor.user_id,
        )
        db.add(contact)
    return contact


async def _editable_contact(
    db: AsyncSession, actor: Actor, contact_id: uuid.UUID
) -> EmergencyContact:
    contact = await db.get(EmergencyContact, contact_id)
    if contact is None or not can_edit_record(actor, contact.child_id):
        raise NotFound(field="emergencyContactId")
    return contact


async def update_emergency_contact(
    *, db: AsyncSession, actor: Actor, contact_id: uuid.UUID, name: str, relation: str, phone: str
) -> EmergencyContact:
    """Replace an emergency contact's details."""
    cleaned, relation_text, number = _cleaned(name, relation, phone)
    async with write_transaction(db):
        contact = await _editable_contact(db, actor, contact_id)
        contact.name, contact.relation, contact.phone = cleaned, relation_text, number
    return contact


async def remove_emergency_contact(
    *, db: AsyncSession, actor: Actor, contact_id: uuid.UUID
) -> None:
    async with write_transaction(db):
        await db.delete(await _editable_contact(db, actor, contact_id))

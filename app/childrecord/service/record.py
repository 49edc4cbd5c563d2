"""Reading and editing the child's record. `read_child_record` is the ONE way the record is
read (the API, exports, anything later): the access log's "child_record" entry belongs in it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.childrecord.models import ChildRecord, EmergencyContact, MedicationConsent
from app.childrecord.policies import can_edit_record, readable_records
from app.childrecord.service import checks
from app.core.actor import Actor
from app.core.errors import NotFound
from app.db import utcnow, write_transaction
from app.institutions.models import Child
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access


@dataclass(frozen=True)
class EmergencyContactView:
    id: uuid.UUID
    name: str
    relation: str
    phone: str


@dataclass(frozen=True)
class MedicationConsentView:
    id: uuid.UUID
    medicine: str
    dose: str
    instructions: str
    valid_from: date
    valid_until: date | None
    signed_by_name: str
    signed_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by_name: str | None


@dataclass(frozen=True)
class ChildRecordView:
    """The record as its reader sees it; empty texts until a custody holder fills them."""

    child_id: uuid.UUID
    institution_id: uuid.UUID
    allergies: str
    diet: str
    doctor_name: str
    doctor_phone: str
    staff_notes: str
    updated_at: datetime | None
    emergency_contacts: list[EmergencyContactView]
    medication_consents: list[MedicationConsentView]
    can_edit: bool


async def read_child_record(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, operation: str = "-"
) -> ChildRecordView | None:
    """The child's record, or None when the actor may not read it (the same as no child).
    Three statements, whatever the number of contacts and consents.

    Every read by someone other than the child's own guardians is in the access log (kind
    child_record, written with the request's other log rows): this is the one way in."""
    head = (
        await db.execute(
            select(
                Child.institution_id,
                ChildRecord.allergies,
                ChildRecord.diet,
                ChildRecord.doctor_name,
                ChildRecord.doctor_phone,
                ChildRecord.staff_notes,
                ChildRecord.updated_at,
            )
            .outerjoin(ChildRecord, ChildRecord.child_id == Child.id)
            .where(Child.id == child_id, readable_records(actor))
        )
    ).one_or_none()
    if head is None:
        return None
    record_access(
        db, actor, child_ids=[child_id], kind=AccessKind.CHILD_RECORD, operation=operation
    )
    contacts = await db.execute(
        select(
            EmergencyContact.id,
            EmergencyContact.name,
            EmergencyContact.relation,
            EmergencyContact.phone,
        )
        .where(
            EmergencyContact.child_id == child_id,
            EmergencyContact.institution_id == head.institution_id,
        )
        .order_by(EmergencyContact.created_at, EmergencyContact.id)
    )
    signer, withdrawer = aliased(User), aliased(User)
    consents = await db.execute(
        select(
            MedicationConsent.id,
            MedicationConsent.medicine,
            MedicationConsent.dose,
            MedicationConsent.instructions,
            MedicationConsent.valid_from,
            MedicationConsent.valid_until,
            signer.name.label("signed_by_name"),
            MedicationConsent.signed_at,
            MedicationConsent.withdrawn_at,
            withdrawer.name.label("withdrawn_by_name"),
        )
        .join(signer, signer.id == MedicationConsent.signed_by)
        .outerjoin(withdrawer, withdrawer.id == MedicationConsent.withdrawn_by)
        .where(
            MedicationConsent.child_id == child_id,
            MedicationConsent.institution_id == head.institution_id,
        )
        .order_by(MedicationConsent.valid_from.desc(), MedicationConsent.id)
    )
    return ChildRecordView(
        child_id=child_id,
        institution_id=head.institution_id,
        allergies=head.allergies or "",
        diet=head.diet or "",
        doctor_name=head.doctor_name or "",
        doctor_phone=head.doctor_phone or "",
        staff_notes=head.staff_notes or "",
        updated_at=head.updated_at,
        emergency_contacts=[EmergencyContactView(**row._mapping) for row in contacts],
        medication_consents=[MedicationConsentView(**row._mapping) for row in consents],
        can_edit=can_edit_record(actor, child_id),
    )


def editable_child(actor: Actor, child_id: uuid.UUID) -> uuid.UUID:
    """The child's institution, if the actor edits its record; otherwise not found (an
    information-only guardian and staff read, and are answered as if there were nothing)."""
    if not can_edit_record(actor, child_id):
        raise NotFound(field="childId")
    return actor.children[child_id].institution_id


async def set_child_record(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    allergies: str,
    diet: str,
    doctor_name: str,
    doctor_phone: str,
    staff_notes: str,
) -> ChildRecordView:
    """Replace the record's texts (custody holders with full access); empty clears one."""
    institution_id = editable_child(actor, child_id)
    values = {
        "allergies": checks.text(allergies, "allergies"),
        "diet": checks.text(diet, "diet"),
        "doctor_name": checks.text(doctor_name, "doctorName"),
        "doctor_phone": checks.phone(doctor_phone, "doctorPhone", required=False),
        "staff_notes": checks.text(staff_notes, "staffNotes"),
    }
    async with write_transaction(db):
        record = await db.get(ChildRecord, child_id)
        if record is None:
            db.add(
                ChildRecord(
                    child_id=child_id,
                    institution_id=institution_id,
                    updated_by=actor.user_id,
                    **values,
                )
            )
        else:
            for key, value in values.items():
                setattr(record, key, value)
            record.updated_by, record.updated_at = actor.user_id, utcnow()
    view = await read_child_record(db=db, actor=actor, child_id=child_id)
    assert view is not None  # a custody holder reads what they edit
    return view

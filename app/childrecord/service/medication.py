"""Medication consents: a custody holder signs which medicine staff may give, what dose and
in which period; the daily log's medication entries name the consent they follow."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.childrecord.models import MedicationConsent
from app.childrecord.policies import can_edit_record
from app.childrecord.service import checks
from app.childrecord.service.record import editable_child
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.db import utcnow, write_transaction


async def sign_medication_consent(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    medicine: str,
    dose: str,
    instructions: str,
    valid_from: date,
    valid_until: date | None,
) -> MedicationConsent:
    """Sign a consent (custody holders with full access): the signer and the time are the
    actor and now."""
    institution_id = editable_child(actor, child_id)
    name = checks.name(medicine, "medicine", 200)
    amount = checks.name(dose, "dose", 100)
    note = checks.text(instructions, "instructions")
    checks.period(valid_from, valid_until)
    now = utcnow()
    async with write_transaction(db):
        consent = MedicationConsent(
            institution_id=institution_id,
            child_id=child_id,
            medicine=name,
            dose=amount,
            instructions=note,
            valid_from=valid_from,
            valid_until=valid_until,
            signed_by=actor.user_id,
            signed_at=now,
        )
        db.add(consent)
    return consent


async def withdraw_medication_consent(
    *, db: AsyncSession, actor: Actor, consent_id: uuid.UUID
) -> MedicationConsent:
    """Withdraw a consent from now on (kept, so that the entries naming it stay readable);
    withdrawing it again changes nothing."""
    async with write_transaction(db):
        consent = await db.get(MedicationConsent, consent_id)
        if consent is None or not can_edit_record(actor, consent.child_id):
            raise NotFound(field="medicationConsentId")
        if consent.withdrawn_at is None:
            consent.withdrawn_at, consent.withdrawn_by = utcnow(), actor.user_id
    return consent


async def consent_for_entry(
    db: AsyncSession,
    *,
    child_id: uuid.UUID,
    consent_id: uuid.UUID,
    day: date,
    at: datetime,
    field: str,
) -> MedicationConsent:
    """The consent a medication entry of `child_id` given on `day` at `at` follows: the
    child's own, in force then (its period holds the day; not withdrawn before `at`). For the
    daily log's writers (staff), who checked their right to write the child's day already."""
    consent = await db.get(MedicationConsent, consent_id)
    if consent is None or consent.child_id != child_id:
        raise NotFound(field=field)
    outside = day < consent.valid_from or (
        consent.valid_until is not None and day > consent.valid_until
    )
    withdrawn_before = consent.withdrawn_at is not None and consent.withdrawn_at <= at
    if outside or withdrawn_before:
        raise ValidationFailed("medication_consent_not_in_force", field=field)
    return consent

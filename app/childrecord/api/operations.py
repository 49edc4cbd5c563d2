"""GraphQL operations of the child's record: `childRecord` and the custody holders' edits."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.api.access import operation_name
from app.api.errors import errors_as_data
from app.api.idempotency import IdempotencyKeyArg, first, idempotent
from app.api.ids import decode
from app.api.permissions import IsAuthenticated
from app.childrecord import models
from app.childrecord.api.types import (
    ChildRecord,
    ChildRecordDone,
    ChildRecordDoneResult,
    ChildRecordInput,
    ChildRecordResult,
    EmergencyContact,
    EmergencyContactInput,
    EmergencyContactResult,
    MedicationConsent,
    MedicationConsentInput,
    MedicationConsentResult,
)
from app.childrecord.service import emergency, medication, record


@strawberry.type
class ChildRecordQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The child's record: for its guardians and the institution's staff; "
        "null for anyone else.",
    )
    async def child_record(self, info: Info, child_id: strawberry.ID) -> ChildRecord | None:
        view = await record.read_child_record(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            operation=operation_name(info),
        )
        return ChildRecord.of(view) if view is not None else None


@strawberry.type
class ChildRecordMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Replace the record's texts (custody holders with full access).",
    )
    @errors_as_data
    async def set_child_record(
        self, info: Info, child_id: strawberry.ID, input: ChildRecordInput
    ) -> ChildRecordResult:
        view = await record.set_child_record(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            allergies=input.allergies,
            diet=input.diet,
            doctor_name=input.doctor_name,
            doctor_phone=input.doctor_phone,
            staff_notes=input.staff_notes,
        )
        return ChildRecord.of(view)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    @idempotent(models.EmergencyContact, present=first(EmergencyContact.of))
    async def add_emergency_contact(
        self,
        info: Info,
        child_id: strawberry.ID,
        input: EmergencyContactInput,
        idempotency_key: IdempotencyKeyArg = None,
    ) -> EmergencyContactResult:
        row = await emergency.add_emergency_contact(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            name=input.name,
            relation=input.relation,
            phone=input.phone,
        )
        return EmergencyContact.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def update_emergency_contact(
        self, info: Info, emergency_contact_id: strawberry.ID, input: EmergencyContactInput
    ) -> EmergencyContactResult:
        row = await emergency.update_emergency_contact(
            db=info.context.db,
            actor=await info.context.require_actor(),
            contact_id=decode(emergency_contact_id, "EmergencyContact", field="emergencyContactId"),
            name=input.name,
            relation=input.relation,
            phone=input.phone,
        )
        return EmergencyContact.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def remove_emergency_contact(
        self, info: Info, emergency_contact_id: strawberry.ID
    ) -> ChildRecordDoneResult:
        await emergency.remove_emergency_contact(
            db=info.context.db,
            actor=await info.context.require_actor(),
            contact_id=decode(emergency_contact_id, "EmergencyContact", field="emergencyContactId"),
        )
        return ChildRecordDone()

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Sign a medication consent (custody holders with full access): signed by "
        "the caller, now.",
    )
    @errors_as_data
    @idempotent(models.MedicationConsent, present=first(MedicationConsent.of))
    async def sign_medication_consent(
        self,
        info: Info,
        child_id: strawberry.ID,
        input: MedicationConsentInput,
        idempotency_key: IdempotencyKeyArg = None,
    ) -> MedicationConsentResult:
        row = await medication.sign_medication_consent(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            medicine=input.medicine,
            dose=input.dose,
            instructions=input.instructions,
            valid_from=input.valid_from,
            valid_until=input.valid_until,
        )
        return MedicationConsent.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Withdraw a medication consent from now on (it stays in the record).",
    )
    @errors_as_data
    async def withdraw_medication_consent(
        self, info: Info, medication_consent_id: strawberry.ID
    ) -> MedicationConsentResult:
        row = await medication.withdraw_medication_consent(
            db=info.context.db,
            actor=await info.context.require_actor(),
            consent_id=decode(
                medication_consent_id, "MedicationConsent", field="medicationConsentId"
            ),
        )
        return MedicationConsent.of(row)

"""GraphQL types of the child's record: plain objects, never nodes, so that `node(id:)` is no
second way in; the record is read only through `childRecord`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.api.errors import IdempotencyKeyReusedError, NotFoundError, ValidationError
from app.api.ids import encode
from app.api.loaders import later
from app.childrecord import models
from app.childrecord.service.record import (
    ChildRecordView,
    EmergencyContactView,
    MedicationConsentView,
)
from app.institutions import loaders as institution_loaders


@strawberry.type(description="Someone to call besides the guardians.")
class EmergencyContact:
    id: strawberry.ID
    name: str
    relation: str
    phone: str

    @classmethod
    def of(cls, row: EmergencyContactView | models.EmergencyContact) -> EmergencyContact:
        return cls(
            id=strawberry.ID(encode("EmergencyContact", row.id)),
            name=row.name,
            relation=row.relation,
            phone=row.phone,
        )


async def _user_name(info: Info, user_id: uuid.UUID | None) -> str | None:
    if user_id is None:
        return None
    user = await info.context.loaders.get(institution_loaders.user_by_id).load(user_id)
    return user.name if user else None


@strawberry.type(
    description="A custody holder's signed consent that staff give a medicine; the daily "
    "log's medication entries name it (`MedicationDetails.consentId`)."
)
class MedicationConsent:
    id: strawberry.ID
    medicine: str
    dose: str
    instructions: str
    valid_from: dt.date
    valid_until: dt.date | None = strawberry.field(description="Null: until withdrawn.")
    signed_at: dt.datetime
    withdrawn_at: dt.datetime | None
    signed_by_name: strawberry.Private[str | None] = None
    signed_by_id: strawberry.Private[uuid.UUID | None] = None
    withdrawn_by_name: strawberry.Private[str | None] = None
    withdrawn_by_id: strawberry.Private[uuid.UUID | None] = None

    @strawberry.field(description="The custody holder who signed it.")
    def signed_by(self, info: Info) -> str | None:
        if self.signed_by_name is not None:
            return self.signed_by_name
        return later(_user_name(info, self.signed_by_id))

    @strawberry.field(description="Who withdrew it, if anyone did.")
    def withdrawn_by(self, info: Info) -> str | None:
        if self.withdrawn_by_name is not None or self.withdrawn_at is None:
            return self.withdrawn_by_name
        return later(_user_name(info, self.withdrawn_by_id))

    @classmethod
    def of(cls, row: MedicationConsentView | models.MedicationConsent) -> MedicationConsent:
        consent = cls(
            id=strawberry.ID(encode("MedicationConsent", row.id)),
            medicine=row.medicine,
            dose=row.dose,
            instructions=row.instructions,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            signed_at=row.signed_at,
            withdrawn_at=row.withdrawn_at,
        )
        if isinstance(row, MedicationConsentView):
            consent.signed_by_name, consent.withdrawn_by_name = (
                row.signed_by_name,
                row.withdrawn_by_name,
            )
        else:
            consent.signed_by_id, consent.withdrawn_by_id = row.signed_by, row.withdrawn_by
        return consent


@strawberry.type(
    description="The child's record (health data): custody holders with full access edit, "
    "information-only guardians and the institution's staff read. Never sent in a push or "
    "an e-mail."
)
class ChildRecord:
    child_id: strawberry.ID
    allergies: str
    diet: str
    doctor_name: str
    doctor_phone: str
    staff_notes: str = strawberry.field(description="What the guardians want staff to know.")
    updated_at: dt.datetime | None
    emergency_contacts: list[EmergencyContact]
    medication_consents: list[MedicationConsent] = strawberry.field(
        description="Newest period first; withdrawn ones too (the log's entries name them)."
    )
    can_edit: bool = strawberry.field(description="Whether the caller may change the record.")

    @classmethod
    def of(cls, view: ChildRecordView) -> ChildRecord:
        return cls(
            child_id=strawberry.ID(encode("Child", view.child_id)),
            allergies=view.allergies,
            diet=view.diet,
            doctor_name=view.doctor_name,
            doctor_phone=view.doctor_phone,
            staff_notes=view.staff_notes,
            updated_at=view.updated_at,
            emergency_contacts=[EmergencyContact.of(c) for c in view.emergency_contacts],
            medication_consents=[MedicationConsent.of(c) for c in view.medication_consents],
            can_edit=view.can_edit,
        )


@strawberry.type
class ChildRecordDone:
    ok: bool = True


@strawberry.input
class ChildRecordInput:
    allergies: str = ""
    diet: str = ""
    doctor_name: str = ""
    doctor_phone: str = ""
    staff_notes: str = ""


@strawberry.input
class EmergencyContactInput:
    name: str
    phone: str
    relation: str = ""


@strawberry.input
class MedicationConsentInput:
    medicine: str
    dose: str
    valid_from: dt.date
    valid_until: dt.date | None = None
    instructions: str = ""


ChildRecordResult = Annotated[
    Union[ChildRecord, ValidationError, NotFoundError], strawberry.union("ChildRecordResult")
]
EmergencyContactResult = Annotated[
    Union[EmergencyContact, ValidationError, NotFoundError, IdempotencyKeyReusedError],
    strawberry.union("EmergencyContactResult"),
]
MedicationConsentResult = Annotated[
    Union[MedicationConsent, ValidationError, NotFoundError, IdempotencyKeyReusedError],
    strawberry.union("MedicationConsentResult"),
]
ChildRecordDoneResult = Annotated[
    Union[ChildRecordDone, NotFoundError], strawberry.union("ChildRecordDoneResult")
]

"""Administration by an institution's admins: groups, children, staff, guardian links."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.api.errors import ConflictError, NotFoundError, ValidationError, errors_as_data
from app.api.ids import decode, plain_uuid
from app.api.permissions import IsAuthenticated
from app.institutions.api.types import (
    Access,
    ChildNode,
    ClosedDay,
    GroupNode,
    GuardianLinkNode,
    InstitutionNode,
    PhotoConsentDefault,
    SharedInboxSender,
    StaffMemberNode,
)
from app.institutions.service import children as institution_children
from app.institutions.service import groups as institution_groups
from app.institutions.service import institution_admin, people
from app.institutions.service import settings as institution_settings

InstitutionResult = Annotated[
    Union[InstitutionNode, ValidationError, NotFoundError, ConflictError],
    strawberry.union("InstitutionResult"),
]
GroupResult = Annotated[
    Union[GroupNode, ValidationError, NotFoundError, ConflictError], strawberry.union("GroupResult")
]
ChildResult = Annotated[
    Union[ChildNode, ValidationError, NotFoundError, ConflictError], strawberry.union("ChildResult")
]
StaffResult = Annotated[
    Union[StaffMemberNode, ValidationError, NotFoundError, ConflictError],
    strawberry.union("StaffMemberResult"),
]
GuardianLinkResult = Annotated[
    Union[GuardianLinkNode, ValidationError, NotFoundError, ConflictError],
    strawberry.union("GuardianLinkResult"),
]


ClosedDayResult = Annotated[
    Union[ClosedDay, ValidationError, NotFoundError, ConflictError],
    strawberry.union("ClosedDayResult"),
]


@strawberry.type
class Done:
    ok: bool = True


DoneResult = Annotated[
    Union[Done, ValidationError, NotFoundError, ConflictError], strawberry.union("DoneResult")
]


@strawberry.input
class OpeningHoursInput:
    weekday: str = strawberry.field(description="mon, tue, wed, thu, fri, sat or sun")
    opens: str = strawberry.field(description="HH:MM")
    closes: str = strawberry.field(description="HH:MM")


@strawberry.input
class UpdateInstitutionInput:
    institution_id: strawberry.ID
    name: str | None = None
    timezone: str | None = None
    opening_hours: list[OpeningHoursInput] | None = strawberry.field(
        default=None, description="Replaces all opening hours; a weekday left out is closed."
    )


@strawberry.input(description="Only the settings given change; the others keep their value.")
class InstitutionSettingsInput:
    pickup_change_cutoff_minutes: int | None = None
    guardians_may_message_guardians: bool | None = None
    shared_inbox_sender_shown_to_guardians: SharedInboxSender | None = None
    message_retention_months: int | None = None
    photo_consent_default: PhotoConsentDefault | None = None
    group_sharing_requires_consent: bool | None = None
    photo_retention_months: int | None = None
    require_second_factor_for_staff: bool | None = None
    require_second_factor_for_admins: bool | None = None
    urgent_sms_enabled: bool | None = None
    sms_monthly_cap: int | None = None
    day_entry_retention_months: int | None = None
    attendance_retention_months: int | None = None
    pickup_retention_months: int | None = None
    child_record_retention_months: int | None = None
    access_log_retention_months: int | None = None
    audit_trail_retention_months: int | None = None
    custody_less_guardians_may_confirm: bool | None = None

    def changes(self) -> dict[str, object]:
        given = {k: v for k, v in vars(self).items() if v is not None}
        return {k: v.value if isinstance(v, Enum) else v for k, v in given.items()}


@strawberry.input
class CreateChildInput:
    group_id: strawberry.ID
    first_name: str
    last_name: str
    birth_date: dt.date
    active_from: dt.date | None = None
    is_protected: bool = False


@strawberry.input
class UpdateChildInput:
    child_id: strawberry.ID
    first_name: str | None = None
    last_name: str | None = None
    birth_date: dt.date | None = None
    is_protected: bool | None = None


@strawberry.input
class AddStaffInput:
    institution_id: strawberry.ID
    email: str
    name: str
    title: str = ""
    phone: str | None = None
    group_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateStaffInput:
    staff_id: strawberry.ID
    title: str | None = None
    group_ids: list[strawberry.ID] | None = None


@strawberry.input
class AddGuardianInput:
    child_id: strawberry.ID
    email: str
    name: str
    relation: str = ""
    has_custody: bool = True
    access: Access | None = strawberry.field(
        default=None,
        description=(
            "Default: FULL with custody, NONE without (a right to information, not to the system)."
        ),
    )
    phone: str | None = None


@strawberry.input
class UpdateGuardianLinkInput:
    guardian_link_id: strawberry.ID
    relation: str | None = None
    has_custody: bool | None = None
    access: Access | None = None


@strawberry.type
class InstitutionMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def update_institution(
        self, info: Info, input: UpdateInstitutionInput
    ) -> InstitutionResult:
        hours = None
        if input.opening_hours is not None:
            hours = {h.weekday: [h.opens, h.closes] for h in input.opening_hours}
        row = await institution_admin.update_institution(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(input.institution_id, "Institution", field="institutionId"),
            name=input.name,
            timezone=input.timezone,
            opening_hours=hours,
        )
        return InstitutionNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def update_institution_settings(
        self, info: Info, institution: strawberry.ID, input: InstitutionSettingsInput
    ) -> InstitutionResult:
        row = await institution_settings.update_settings(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution, "Institution", field="institution"),
            changes=input.changes(),
        )
        return InstitutionNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def add_closed_day(
        self, info: Info, institution_id: strawberry.ID, day: dt.date, reason: str = ""
    ) -> ClosedDayResult:
        row = await institution_admin.add_closed_day(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            day=day,
            reason=reason,
        )
        return ClosedDay.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def remove_closed_day(self, info: Info, closed_day_id: strawberry.ID) -> DoneResult:
        await institution_admin.remove_closed_day(
            db=info.context.db,
            actor=await info.context.require_actor(),
            closed_day_id=plain_uuid(closed_day_id, field="closedDayId"),
        )
        return Done()

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def create_group(
        self, info: Info, institution_id: strawberry.ID, name: str
    ) -> GroupResult:
        row = await institution_groups.create_group(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            name=name,
        )
        return GroupNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def update_group(self, info: Info, group_id: strawberry.ID, name: str) -> GroupResult:
        row = await institution_groups.update_group(
            db=info.context.db,
            actor=await info.context.require_actor(),
            group_id=decode(group_id, "Group", field="groupId"),
            name=name,
        )
        return GroupNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def deactivate_group(self, info: Info, group_id: strawberry.ID) -> GroupResult:
        row = await institution_groups.deactivate_group(
            db=info.context.db,
            actor=await info.context.require_actor(),
            group_id=decode(group_id, "Group", field="groupId"),
        )
        return GroupNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def create_child(self, info: Info, input: CreateChildInput) -> ChildResult:
        row = await institution_children.create_child(
            db=info.context.db,
            actor=await info.context.require_actor(),
            group_id=decode(input.group_id, "Group", field="groupId"),
            first_name=input.first_name,
            last_name=input.last_name,
            birth_date=input.birth_date,
            active_from=input.active_from,
            is_protected=input.is_protected,
        )
        return ChildNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def update_child(self, info: Info, input: UpdateChildInput) -> ChildResult:
        row = await institution_children.update_child(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(input.child_id, "Child", field="childId"),
            first_name=input.first_name,
            last_name=input.last_name,
            birth_date=input.birth_date,
            is_protected=input.is_protected,
        )
        return ChildNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def move_child(
        self, info: Info, child_id: strawberry.ID, group_id: strawberry.ID
    ) -> ChildResult:
        row = await institution_children.move_child(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            group_id=decode(group_id, "Group", field="groupId"),
        )
        return ChildNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def deactivate_child(
        self, info: Info, child_id: strawberry.ID, last_day: dt.date
    ) -> ChildResult:
        row = await institution_children.deactivate_child(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            last_day=last_day,
        )
        return ChildNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def add_staff(self, info: Info, input: AddStaffInput) -> StaffResult:
        row = await people.add_staff(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            institution_id=decode(input.institution_id, "Institution", field="institutionId"),
            email=input.email,
            name=input.name,
            title=input.title,
            phone=input.phone,
            group_ids=[decode(g, "Group", field="groupIds") for g in input.group_ids],
        )
        return StaffMemberNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def update_staff(self, info: Info, input: UpdateStaffInput) -> StaffResult:
        groups = input.group_ids
        row = await people.update_staff(
            db=info.context.db,
            actor=await info.context.require_actor(),
            staff_id=decode(input.staff_id, "StaffMember", field="staffId"),
            title=input.title,
            group_ids=None
            if groups is None
            else [decode(g, "Group", field="groupIds") for g in groups],
        )
        return StaffMemberNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def deactivate_staff(self, info: Info, staff_id: strawberry.ID) -> StaffResult:
        row = await people.deactivate_staff(
            db=info.context.db,
            actor=await info.context.require_actor(),
            staff_id=decode(staff_id, "StaffMember", field="staffId"),
        )
        return StaffMemberNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def add_guardian(self, info: Info, input: AddGuardianInput) -> GuardianLinkResult:
        row = await people.add_guardian(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            child_id=decode(input.child_id, "Child", field="childId"),
            email=input.email,
            name=input.name,
            relation=input.relation,
            has_custody=input.has_custody,
            access=input.access.value if input.access else None,
            phone=input.phone,
        )
        return GuardianLinkNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def update_guardian_link(
        self, info: Info, input: UpdateGuardianLinkInput
    ) -> GuardianLinkResult:
        row = await people.update_guardian_link(
            db=info.context.db,
            actor=await info.context.require_actor(),
            link_id=decode(input.guardian_link_id, "GuardianLink", field="guardianLinkId"),
            relation=input.relation,
            has_custody=input.has_custody,
            access=input.access.value if input.access else None,
        )
        return GuardianLinkNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def remove_guardian_link(self, info: Info, guardian_link_id: strawberry.ID) -> DoneResult:
        await people.remove_guardian_link(
            db=info.context.db,
            actor=await info.context.require_actor(),
            link_id=decode(guardian_link_id, "GuardianLink", field="guardianLinkId"),
        )
        return Done()

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Lift the login lock of a member of your institution.",
    )
    @errors_as_data
    async def unlock_login(
        self, info: Info, institution_id: strawberry.ID, email: str
    ) -> DoneResult:
        await people.unlock_login(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            email=email,
        )
        return Done()

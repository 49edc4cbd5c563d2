"""GraphQL types and operations of institutions: thin shells over the service."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.api.loaders import later
from app.api.node import load_nodes
from app.api.pagination import Connection, connection
from app.core.values import WEEKDAYS
from app.institutions import loaders as institution_loaders
from app.institutions import models
from app.institutions.policies import can_see_contact_details
from app.institutions.reads import ChildRow, GroupRow, InstitutionRow
from app.institutions.service import children as institution_children
from app.institutions.service import institution_admin
from app.institutions.service.settings import settings_of


@strawberry.enum
class Role(Enum):
    ADMIN = "ADMIN"
    STAFF = "STAFF"
    GUARDIAN = "GUARDIAN"
    MUNICIPALITY_ADMIN = "MUNICIPALITY_ADMIN"


@strawberry.enum
class Access(Enum):
    FULL = "full"
    INFORMATION = "information"
    NONE = "none"


@strawberry.type
class OpeningHours:
    weekday: str
    opens: str
    closes: str


@strawberry.enum
class SharedInboxSender(Enum):
    GROUP = "group"
    STAFF = "staff"


@strawberry.enum
class PhotoConsentDefault(Enum):
    NONE = "none"
    OWN_GUARDIANS = "own_guardians"
    GROUP = "group"


@strawberry.type
class InstitutionSettings:
    pickup_change_cutoff_minutes: int = strawberry.field(
        description="Changes to today's pickup plan are allowed until this long before pickup."
    )
    guardians_may_message_guardians: bool = strawberry.field(
        description="Guardians of one group may start threads with each other."
    )
    shared_inbox_sender_shown_to_guardians: SharedInboxSender = strawberry.field(
        description="Who guardians see as the sender of an answer from a shared inbox."
    )
    message_retention_months: int
    photo_consent_default: PhotoConsentDefault = strawberry.field(
        description="What a custody guardian's missing photo consent answer means."
    )
    group_sharing_requires_consent: bool
    photo_retention_months: int
    require_second_factor_for_staff: bool = strawberry.field(
        description="Staff must sign in with a second factor (an authenticator app)."
    )
    require_second_factor_for_admins: bool = strawberry.field(
        description="Administrators must sign in with a second factor (on by default)."
    )
    urgent_sms_enabled: bool = strawberry.field(
        description="Urgent notifications (a child sent home, an incident) also go by SMS."
    )
    sms_monthly_cap: int = strawberry.field(
        description=(
            "At most this many SMS a calendar month of the institution's own timezone; over it"
            " an SMS is not sent."
        )
    )
    day_entry_retention_months: int = strawberry.field(
        description="Months after a child's last day before its daily log goes."
    )
    attendance_retention_months: int = strawberry.field(
        description="Months after a child's last day before its attendance and absences are "
        "anonymised (the statistics keep their counts)."
    )
    pickup_retention_months: int = strawberry.field(
        description="Months after a child's last day before its pickup persons (with their "
        "photos) and pickup plans go."
    )
    child_record_retention_months: int = strawberry.field(
        description="Months after a child's last day before its record (health data, "
        "emergency contacts, medication consents), guardian links and name go."
    )
    access_log_retention_months: int = strawberry.field(
        description="Months the access log is kept (never below the legal minimum)."
    )
    audit_trail_retention_months: int = strawberry.field(
        description="Months the audit trail of writes to the children's data is kept, from "
        "each write (a child under a legal hold keeps its rows)."
    )
    custody_less_guardians_may_confirm: bool = strawberry.field(
        description="Guardians without custody may confirm announcements for the child "
        "(off by default: a confirmation is consent-like)."
    )

    @classmethod
    def of(cls, row: models.Institution | InstitutionRow) -> InstitutionSettings:
        s = settings_of(row)
        return cls(
            pickup_change_cutoff_minutes=s.pickup_change_cutoff_minutes,
            guardians_may_message_guardians=s.guardians_may_message_guardians,
            shared_inbox_sender_shown_to_guardians=SharedInboxSender(
                s.shared_inbox_sender_shown_to_guardians
            ),
            message_retention_months=s.message_retention_months,
            photo_consent_default=PhotoConsentDefault(s.photo_consent_default),
            group_sharing_requires_consent=s.group_sharing_requires_consent,
            photo_retention_months=s.photo_retention_months,
            require_second_factor_for_staff=s.require_second_factor_for_staff,
            require_second_factor_for_admins=s.require_second_factor_for_admins,
            urgent_sms_enabled=s.urgent_sms_enabled,
            sms_monthly_cap=s.sms_monthly_cap,
            day_entry_retention_months=s.day_entry_retention_months,
            attendance_retention_months=s.attendance_retention_months,
            pickup_retention_months=s.pickup_retention_months,
            child_record_retention_months=s.child_record_retention_months,
            access_log_retention_months=s.access_log_retention_months,
            audit_trail_retention_months=s.audit_trail_retention_months,
            custody_less_guardians_may_confirm=s.custody_less_guardians_may_confirm,
        )


@strawberry.type
class ClosedDay:
    id: strawberry.ID
    day: dt.date
    reason: str

    @classmethod
    def of(cls, row: models.ClosedDay) -> ClosedDay:
        return cls(id=strawberry.ID(str(row.id)), day=row.day, reason=row.reason)


@strawberry.type(name="Institution")
class InstitutionNode(relay.Node):
    id: relay.NodeID[str]
    name: str
    kind: str
    timezone: str
    row: strawberry.Private[models.Institution | InstitutionRow]

    @classmethod
    def of(cls, row: models.Institution | InstitutionRow) -> InstitutionNode:
        return cls(id=str(row.id), name=row.name, kind=row.kind, timezone=row.timezone, row=row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[InstitutionNode | None]:
        return await load_nodes(info, institution_loaders.institution_by_id, node_ids, cls.of)

    @strawberry.field
    def opening_hours(self) -> list[OpeningHours]:
        hours = self.row.opening_hours or {}
        return [
            OpeningHours(weekday=day, opens=span[0], closes=span[1])
            for day in WEEKDAYS
            if (span := hours.get(day))
        ]

    @strawberry.field
    def settings(self) -> InstitutionSettings:
        return InstitutionSettings.of(self.row)

    @strawberry.field(
        description="The groups you may see: all for staff, your children's for guardians."
    )
    async def groups(self, info: Info) -> list[GroupNode]:
        rows = await info.context.loaders.get(institution_loaders.groups_by_institution).load(
            self.row.id
        )
        return [GroupNode.of(row) for row in rows]

    @strawberry.field(
        description="Children, alphabetically: all for staff, your own for guardians."
    )
    async def children(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[ChildNode]:
        page = await institution_children.children_page(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=self.row.id,
            first=first,
            after=after,
        )
        return connection(page, ChildNode.of)

    @strawberry.field
    async def staff(self, info: Info) -> list[StaffMemberNode]:
        rows = await info.context.loaders.get(institution_loaders.staff_by_institution).load(
            self.row.id
        )
        return [StaffMemberNode.of(row) for row in rows]

    @strawberry.field(description="Closed days from `since` on (default: today).")
    async def closed_days(self, info: Info, since: dt.date | None = None) -> list[ClosedDay]:
        rows = await institution_admin.closed_days(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=self.row.id,
            since=since,
        )
        return [ClosedDay.of(row) for row in rows]

    @strawberry.field(description="Your roles in this institution.")
    async def my_roles(self, info: Info) -> list[Role]:
        actor = await info.context.require_actor()
        return [Role(r) for r in actor.roles_in(self.row.id)]


@strawberry.type(name="Group")
class GroupNode(relay.Node):
    id: relay.NodeID[str]
    name: str
    is_active: bool
    row: strawberry.Private[models.Group | GroupRow]

    @classmethod
    def of(cls, row: models.Group | GroupRow) -> GroupNode:
        return cls(id=str(row.id), name=row.name, is_active=row.is_active, row=row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[GroupNode | None]:
        return await load_nodes(info, institution_loaders.group_by_id, node_ids, cls.of)

    @strawberry.field
    async def institution(self, info: Info) -> InstitutionNode | None:
        return await _institution(info, self.row.institution_id)

    @strawberry.field(
        description="The group's children, alphabetically, as far as you may see them."
    )
    async def children(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[ChildNode]:
        page = await institution_children.children_page(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=self.row.institution_id,
            group_id=self.row.id,
            first=first,
            after=after,
        )
        return connection(page, ChildNode.of)


@strawberry.type(name="Child")
class ChildNode(relay.Node):
    id: relay.NodeID[str]
    first_name: str
    last_name: str
    birth_date: dt.date
    active_from: dt.date
    active_until: dt.date | None
    is_protected: bool = strawberry.field(
        description="Navne- og adressebeskyttelse: hidden from other guardians everywhere."
    )
    row: strawberry.Private[models.Child | ChildRow]

    @classmethod
    def of(cls, row: models.Child | ChildRow) -> ChildNode:
        return cls(
            id=str(row.id),
            first_name=row.first_name,
            last_name=row.last_name,
            birth_date=row.birth_date,
            active_from=row.active_from,
            active_until=row.active_until,
            is_protected=row.is_protected,
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ChildNode | None]:
        return await load_nodes(info, institution_loaders.child_by_id, node_ids, cls.of)

    @strawberry.field
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @strawberry.field
    async def group(self, info: Info) -> GroupNode | None:
        if self.row.group_id is None:
            return None
        row = await info.context.loaders.get(institution_loaders.group_by_id).load(
            self.row.group_id
        )
        return GroupNode.of(row) if row else None

    @strawberry.field
    def institution(self, info: Info) -> InstitutionNode | None:
        if isinstance(self.row, ChildRow) and self.row.institution is not None:
            return InstitutionNode.of(self.row.institution)  # a read model holds it
        return later(_institution(info, self.row.institution_id))

    @strawberry.field(description="Staff see every guardian; a guardian sees their own link.")
    async def guardians(self, info: Info) -> list[GuardianLinkNode]:
        rows = await info.context.loaders.get(institution_loaders.guardian_links_by_child).load(
            self.row.id
        )
        return [GuardianLinkNode.of(row) for row in rows]


@strawberry.type(name="GuardianLink")
class GuardianLinkNode(relay.Node):
    id: relay.NodeID[str]
    relation: str
    has_custody: bool
    access: Access
    row: strawberry.Private[models.GuardianLink]

    @classmethod
    def of(cls, row: models.GuardianLink) -> GuardianLinkNode:
        return cls(
            id=str(row.id),
            relation=row.relation,
            has_custody=row.has_custody,
            access=Access(row.access),
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[GuardianLinkNode | None]:
        return await load_nodes(info, institution_loaders.guardian_link_by_id, node_ids, cls.of)

    @strawberry.field
    async def child(self, info: Info) -> ChildNode | None:
        row = await info.context.loaders.get(institution_loaders.child_by_id).load(
            self.row.child_id
        )
        return ChildNode.of(row) if row else None

    @strawberry.field
    async def name(self, info: Info) -> str:
        return str(await _user_attribute(info, self.row.user_id, "name") or "")

    @strawberry.field(description="Contact details: for the institution's staff and admins.")
    async def email(self, info: Info) -> str | None:
        return await _contact(info, self.row.institution_id, self.row.user_id, "email")

    @strawberry.field
    async def phone(self, info: Info) -> str | None:
        return await _contact(info, self.row.institution_id, self.row.user_id, "phone")


async def _contact(info: Info, institution_id: uuid.UUID, user_id: uuid.UUID, attr: str) -> Any:
    actor = await info.context.require_actor()
    if not can_see_contact_details(actor, institution_id):
        return None
    return await _user_attribute(info, user_id, attr)


async def _user_attribute(info: Info, user_id: uuid.UUID, attr: str) -> Any:
    user = await info.context.loaders.get(institution_loaders.user_by_id).load(user_id)
    return getattr(user, attr) if user else None


async def _institution(info: Info, institution_id: uuid.UUID) -> InstitutionNode | None:
    row = await info.context.loaders.get(institution_loaders.institution_by_id).load(institution_id)
    return InstitutionNode.of(row) if row else None


@strawberry.type(name="StaffMember")
class StaffMemberNode(relay.Node):
    id: relay.NodeID[str]
    title: str
    is_active: bool
    row: strawberry.Private[models.StaffMembership]

    @classmethod
    def of(cls, row: models.StaffMembership) -> StaffMemberNode:
        return cls(id=str(row.id), title=row.title, is_active=row.is_active, row=row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[StaffMemberNode | None]:
        return await load_nodes(info, institution_loaders.staff_by_id, node_ids, cls.of)

    @strawberry.field
    async def name(self, info: Info) -> str:
        return str(await _user_attribute(info, self.row.user_id, "name") or "")

    @strawberry.field(description="Contact details: for colleagues and admins.")
    async def email(self, info: Info) -> str | None:
        return await _contact(info, self.row.institution_id, self.row.user_id, "email")

    @strawberry.field
    async def groups(self, info: Info) -> list[GroupNode]:
        ids = await info.context.loaders.get(institution_loaders.group_ids_by_staff).load(
            self.row.id
        )
        rows = await info.context.loaders.get(institution_loaders.group_by_id).load_many(ids)
        return [GroupNode.of(row) for row in rows if row is not None]

    @strawberry.field
    async def institution(self, info: Info) -> InstitutionNode | None:
        return await _institution(info, self.row.institution_id)

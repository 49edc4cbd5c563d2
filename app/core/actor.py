"""Who is asking: loaded once per request and handed to every service call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChildAccess:
    """A guardian's link to one child, as far as the system lets them see it."""

    child_id: uuid.UUID
    institution_id: uuid.UUID
    group_id: uuid.UUID | None
    has_custody: bool
    access: str  # full | information (links with access "none" are left out)


@dataclass(frozen=True)
class DeviceAccess:
    """A paired tablet: a staff tablet or the entrance kiosk of one institution."""

    device_id: uuid.UUID
    institution_id: uuid.UUID
    role: str  # staff_tablet | kiosk


# A session of a person who must enrol a second factor first (app.accounts.service.step_up):
# it reaches nothing, and the API admits it only to the enrolment operations.
ENROLMENT_SESSION = "enrolment"


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    name: str
    email: str
    language: str
    phone: str | None = None
    session_id: uuid.UUID | None = None
    session_kind: str = "user"
    admin_of: frozenset[uuid.UUID] = frozenset()
    staff_of: frozenset[uuid.UUID] = frozenset()
    groups_staffed: frozenset[uuid.UUID] = frozenset()
    municipality_admin_of: frozenset[uuid.UUID] = frozenset()
    municipality_institutions: frozenset[uuid.UUID] = frozenset()
    children: dict[uuid.UUID, ChildAccess] = field(default_factory=dict)
    # A paired device (its own session, or a staff member switched in on it).
    device: DeviceAccess | None = None

    @property
    def device_id(self) -> uuid.UUID | None:
        return self.device.device_id if self.device else None

    @property
    def may_only_enrol(self) -> bool:
        return self.session_kind == ENROLMENT_SESSION

    @property
    def is_bare_device(self) -> bool:
        """The device itself, nobody switched in: it may only do its device's operations."""
        return self.session_kind == "device"

    def is_kiosk_of(self, institution_id: uuid.UUID) -> bool:
        return (
            self.is_bare_device
            and self.device is not None
            and self.device.role == "kiosk"
            and self.device.institution_id == institution_id
        )

    @property
    def guardian_of(self) -> frozenset[uuid.UUID]:
        return frozenset(self.children)

    @property
    def guardian_institutions(self) -> frozenset[uuid.UUID]:
        return frozenset(c.institution_id for c in self.children.values())

    @property
    def guarded_groups(self) -> frozenset[uuid.UUID]:
        return frozenset(c.group_id for c in self.children.values() if c.group_id)

    @property
    def employed_in(self) -> frozenset[uuid.UUID]:
        """Institutions where this person works: as staff or as administrator."""
        return self.admin_of | self.staff_of

    @property
    def institution_ids(self) -> frozenset[uuid.UUID]:
        """Every tenant this actor may touch at all: the scope the database enforces."""
        return self.employed_in | self.guardian_institutions | self.municipality_institutions

    @property
    def tenant_ids(self) -> frozenset[uuid.UUID]:
        """The institutions the database lets this actor's transactions touch (row-level
        security, set from here by app.db.scope_to): its institutions; a paired device
        itself only its device's institution."""
        if self.is_bare_device:
            return frozenset({self.device.institution_id}) if self.device else frozenset()
        return self.institution_ids

    def is_admin(self, institution_id: uuid.UUID) -> bool:
        return institution_id in self.admin_of

    def works_in(self, institution_id: uuid.UUID) -> bool:
        return institution_id in self.employed_in

    def roles_in(self, institution_id: uuid.UUID) -> list[str]:
        roles = []
        if institution_id in self.admin_of:
            roles.append("ADMIN")
        if institution_id in self.staff_of:
            roles.append("STAFF")
        if institution_id in self.guardian_institutions:
            roles.append("GUARDIAN")
        if institution_id in self.municipality_institutions:
            roles.append("MUNICIPALITY_ADMIN")
        return roles

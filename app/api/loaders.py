"""Per-request DataLoaders over the domains' batch functions (<Thing>By<Key>)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from app.accounts.models import User
from app.announcements import loaders as announcement_loaders
from app.announcements.models import Announcement, AnnouncementReceipt
from app.attendance import loaders as attendance_loaders
from app.attendance.models import PickupPerson, PickupPlan, VacationSurvey
from app.core.actor import Actor
from app.daybook import loaders as daybook_loaders
from app.daybook.models import DayEntry, DayEntryVersion, IncidentReceipt
from app.files import loaders as file_loaders
from app.files.models import StoredFile
from app.gallery import loaders as gallery_loaders
from app.gallery.consent import ConsentAnswer, ConsentChange
from app.gallery.models import Photo
from app.institutions import loaders as institution_loaders
from app.institutions.models import Child, Group, GuardianLink, Institution, StaffMembership
from app.messaging import attachments as messaging_attachments
from app.messaging import loaders as messaging_loaders
from app.messaging.models import Message, Participant, Thread, ThreadState

V = TypeVar("V")
BatchFunction = Callable[[AsyncSession, Actor, Sequence[Any]], Awaitable[list[V]]]


class Loaders:
    """Loaders are created lazily: a request pays only for the ones it uses."""

    def __init__(self, db: AsyncSession, actor: Callable[[], Actor]) -> None:
        self._db = db
        self._actor = actor
        self._made: dict[str, DataLoader[Any, Any]] = {}

    def _loader(self, name: str, batch: BatchFunction[V]) -> DataLoader[Any, V]:
        loader = self._made.get(name)
        if loader is None:

            async def load(keys: list[Any]) -> list[V]:
                return await batch(self._db, self._actor(), keys)

            loader = DataLoader(load_fn=load)
            self._made[name] = loader
        return loader

    @property
    def institution_by_id(self) -> DataLoader[uuid.UUID, Institution | None]:
        return self._loader("institution_by_id", institution_loaders.institution_by_id)

    @property
    def group_by_id(self) -> DataLoader[uuid.UUID, Group | None]:
        return self._loader("group_by_id", institution_loaders.group_by_id)

    @property
    def child_by_id(self) -> DataLoader[uuid.UUID, Child | None]:
        return self._loader("child_by_id", institution_loaders.child_by_id)

    @property
    def guardian_link_by_id(self) -> DataLoader[uuid.UUID, GuardianLink | None]:
        return self._loader("guardian_link_by_id", institution_loaders.guardian_link_by_id)

    @property
    def guardian_links_by_child(self) -> DataLoader[uuid.UUID, list[GuardianLink]]:
        return self._loader("guardian_links_by_child", institution_loaders.guardian_links_by_child)

    @property
    def staff_by_id(self) -> DataLoader[uuid.UUID, StaffMembership | None]:
        return self._loader("staff_by_id", institution_loaders.staff_by_id)

    @property
    def staff_by_institution(self) -> DataLoader[uuid.UUID, list[StaffMembership]]:
        return self._loader("staff_by_institution", institution_loaders.staff_by_institution)

    @property
    def group_ids_by_staff(self) -> DataLoader[uuid.UUID, list[uuid.UUID]]:
        return self._loader("group_ids_by_staff", institution_loaders.group_ids_by_staff)

    @property
    def groups_by_institution(self) -> DataLoader[uuid.UUID, list[Group]]:
        return self._loader("groups_by_institution", institution_loaders.groups_by_institution)

    @property
    def user_by_id(self) -> DataLoader[uuid.UUID, User | None]:
        return self._loader("user_by_id", institution_loaders.user_by_id)

    # --- messaging ---------------------------------------------------------------------

    @property
    def thread_by_id(self) -> DataLoader[uuid.UUID, Thread | None]:
        return self._loader("thread_by_id", messaging_loaders.thread_by_id)

    @property
    def message_by_id(self) -> DataLoader[uuid.UUID, Message | None]:
        return self._loader("message_by_id", messaging_loaders.message_by_id)

    @property
    def unread_by_thread(self) -> DataLoader[uuid.UUID, int]:
        return self._loader("unread_by_thread", messaging_loaders.unread_by_thread)

    @property
    def own_state_by_thread(self) -> DataLoader[uuid.UUID, ThreadState | None]:
        return self._loader("own_state_by_thread", messaging_loaders.own_state_by_thread)

    @property
    def states_by_thread(self) -> DataLoader[uuid.UUID, list[ThreadState]]:
        return self._loader("states_by_thread", messaging_loaders.states_by_thread)

    @property
    def participants_by_thread(self) -> DataLoader[uuid.UUID, list[Participant]]:
        return self._loader("participants_by_thread", messaging_loaders.participants_by_thread)

    @property
    def files_by_message(self) -> DataLoader[uuid.UUID, list[StoredFile]]:
        return self._loader("files_by_message", messaging_attachments.files_by_message)

    @property
    def child_ids_by_thread(self) -> DataLoader[uuid.UUID, list[uuid.UUID]]:
        return self._loader("child_ids_by_thread", messaging_loaders.child_ids_by_thread)

    # --- daybook ------------------------------------------------------------------------

    @property
    def day_entry_by_id(self) -> DataLoader[uuid.UUID, DayEntry | None]:
        return self._loader("day_entry_by_id", daybook_loaders.day_entry_by_id)

    @property
    def day_entry_versions_by_entry(self) -> DataLoader[uuid.UUID, list[DayEntryVersion]]:
        return self._loader("day_entry_versions_by_entry", daybook_loaders.versions_by_entry)

    @property
    def incident_receipts_by_entry(self) -> DataLoader[uuid.UUID, list[IncidentReceipt]]:
        return self._loader("incident_receipts_by_entry", daybook_loaders.receipts_by_entry)

    @property
    def announcement_by_id(self) -> DataLoader[uuid.UUID, Announcement | None]:
        return self._loader("announcement_by_id", announcement_loaders.announcement_by_id)

    @property
    def my_announcement_receipt(self) -> DataLoader[uuid.UUID, AnnouncementReceipt | None]:
        return self._loader(
            "my_announcement_receipt", announcement_loaders.my_receipt_by_announcement
        )

    @property
    def announcement_receipt_counts(self) -> DataLoader[uuid.UUID, tuple[int, int, int]]:
        return self._loader(
            "announcement_receipt_counts", announcement_loaders.receipt_counts_by_announcement
        )

    @property
    def files_by_announcement(self) -> DataLoader[uuid.UUID, list[StoredFile]]:
        return self._loader("files_by_announcement", announcement_loaders.files_by_announcement)

    @property
    def file_by_id(self) -> DataLoader[uuid.UUID, StoredFile | None]:
        return self._loader("file_by_id", file_loaders.file_by_id)

    # gallery
    @property
    def effective_consent_by_child(self) -> DataLoader[uuid.UUID, str | None]:
        return self._loader(
            "effective_consent_by_child", gallery_loaders.effective_consent_by_child
        )

    @property
    def consent_answers_by_child(self) -> DataLoader[uuid.UUID, list[ConsentAnswer]]:
        return self._loader("consent_answers_by_child", gallery_loaders.consent_answers_by_child)

    @property
    def consent_changes_by_child(self) -> DataLoader[uuid.UUID, list[ConsentChange]]:
        return self._loader("consent_changes_by_child", gallery_loaders.consent_changes_by_child)

    @property
    def photo_by_id(self) -> DataLoader[uuid.UUID, Photo | None]:
        return self._loader("photo_by_id", gallery_loaders.photo_by_id)

    @property
    def child_ids_by_photo(self) -> DataLoader[uuid.UUID, list[uuid.UUID]]:
        return self._loader("child_ids_by_photo", gallery_loaders.child_ids_by_photo)

    @property
    def photos_by_child_day(self) -> DataLoader[tuple[uuid.UUID, date], list[Photo]]:
        return self._loader("photos_by_child_day", gallery_loaders.photos_by_child_day)

    # --- attendance: pickup plan and vacation survey (h3-plan) ---------------------------------

    @property
    def pickup_person_by_id(self) -> DataLoader[uuid.UUID, PickupPerson | None]:
        return self._loader("pickup_person_by_id", attendance_loaders.pickup_person_by_id)

    @property
    def pickup_plan_by_id(self) -> DataLoader[uuid.UUID, PickupPlan | None]:
        return self._loader("pickup_plan_by_id", attendance_loaders.pickup_plan_by_id)

    @property
    def vacation_survey_by_id(self) -> DataLoader[uuid.UUID, VacationSurvey | None]:
        return self._loader("vacation_survey_by_id", attendance_loaders.vacation_survey_by_id)

    @property
    def child_name_by_id(self) -> DataLoader[uuid.UUID, str | None]:
        return self._loader("child_name_by_id", attendance_loaders.child_name_by_id)

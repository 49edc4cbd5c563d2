"""The compiled form of `ChildDay` (app/api/compiled.py): one statement after the sign-in, over the
child's day read model (app.daybook.reads.entries_statement: the child and its entries through
visible_day_entries; the receipts and names of app.daybook.reads; the photos of
app.gallery.reads.child_day_photos_statement through visible_photos). What the types compute in
Python (details per kind, corrections, the guardian's pending confirmation) is spelled in SQL.

A photo's download link is signed by the storage in Python (an HMAC with an expiry, or an S3
presign): the statement leaves a marker with the file's name and renditions at each `url`, and
`finish` signs exactly those leaves, as the resolver would. Its access log's rows are
written by the statement itself (a data-modifying CTE), as the resolver would note them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Text,
    Uuid,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import Select

from app.accounts.models import User
from app.api.compiled import (
    CompiledAnswer,
    CompiledRequest,
    Fields,
    NotCompilable,
    Selection,
    bound_id,
    global_id,
    global_id_type,
    iso_datetime,
    json_list,
    replace_marked,
    takes_arguments,
)
from app.daybook.models import IncidentReceipt
from app.daybook.reads import entries_statement
from app.files.reads import FileRow
from app.files.service.uploads import signed_url
from app.gallery.reads import child_day_photos_statement
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import logging_in_statement, written_in_statement

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
VARIANTS = {"FULL": "full", "DISPLAY": "display", "THUMBNAIL": "thumbnail"}
SIGN = "$sign"  # never a GraphQL name: no data or alias can spell the marker's key
_GIVER = aliased(User, name="medicine_giver")
_GUARDIAN = aliased(User, name="receipt_guardian")


def _in(value: Any, ids: Any) -> ColumnElement[bool]:
    return value.in_(ids) if ids else false()


def _date_of(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise NotCompilable("date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NotCompilable("date") from None


def _key(name: str) -> ColumnElement[str]:
    return literal_column(f"'{name}'", Text)


def _detail(e: Any, key: str) -> ColumnElement[Any]:
    return e.details[key].as_string()


def _upper(value: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.upper(value)


class _PhotoColumns:
    """The columns of gallery.reads.child_day_photos_statement, by position (its file's id is
    named as the photo's)."""

    def __init__(self, columns: list[Any]) -> None:
        self.id, self.caption, self.created_at = columns[0], columns[5], columns[6]
        self.taken_on, self.name = columns[4], columns[8]
        self.stored_file_id, self.filename, self.variants = columns[9], columns[10], columns[13]


class _Day:
    def __init__(self, actor: Any, child_id: uuid.UUID, day: date, include_deleted: bool) -> None:
        self.actor, self.day = actor, day
        self.rows = entries_statement(actor, child_id, day, day, include_deleted).subquery(
            "day_rows"
        )
        r = self.rows.c
        # The child (every row holds it; no row: not there), and whether one may read its day.
        self.child = (
            select(r.child_id, r.child_institution_id, r.child_first_name, r.child_last_name)
            .select_from(self.rows)
            .limit(1)
            .cte("day_child")
        )
        c = self.child.c
        self.shown = or_(
            _in(c.child_institution_id, actor.employed_in), _in(c.child_id, actor.guardian_of)
        )
        self.photos = child_day_photos_statement(
            actor,
            child_id=child_id,
            institution_id=c.child_institution_id,
            start=day,
            end=day,
        ).cte("day_photos")  # read by the answer and the access log: once
        self.p = _PhotoColumns(list(self.photos.c))

    # Entries -------------------------------------------------------------------------------

    def _receipts(self) -> Any:
        """reads._add_receipts_and_names: staff every guardian's, a guardian their own."""
        actor = self.actor
        return or_(
            _in(IncidentReceipt.institution_id, actor.employed_in),
            IncidentReceipt.user_id == actor.user_id,
        )

    def _confirmations(self, e: Any) -> Any:
        def sql(selection: Selection) -> ColumnElement[Any]:
            guardian = _GUARDIAN
            fields: Fields = {
                "guardian": lambda _: guardian.name,
                "notifiedAt": lambda _: iso_datetime(IncidentReceipt.notified_at.expression),
                "confirmedAt": lambda _: iso_datetime(IncidentReceipt.confirmed_at.expression),
                "confirmedVersion": lambda _: IncidentReceipt.confirmed_version,
                "isCurrent": lambda _: func.coalesce(
                    IncidentReceipt.confirmed_version == e.version, false()
                ),
            }
            item = selection.object("IncidentConfirmation", fields)
            order = (IncidentReceipt.notified_at, IncidentReceipt.id)
            return (
                select(json_list(item, *order))
                .select_from(IncidentReceipt)
                .outerjoin(guardian, guardian.id == IncidentReceipt.user_id)
                .where(IncidentReceipt.entry_id == e.id, self._receipts())
                .scalar_subquery()
            )

        return sql

    def _needs_my_confirmation(self, e: Any) -> ColumnElement[Any]:
        actor = self.actor
        if not actor.guardian_of:
            return false()
        mine = (
            select(IncidentReceipt.confirmed_version)
            .where(IncidentReceipt.entry_id == e.id, IncidentReceipt.user_id == actor.user_id)
            .order_by(IncidentReceipt.notified_at, IncidentReceipt.id)
            .limit(1)
            .scalar_subquery()
        )
        return and_(
            e.child_id.in_(actor.guardian_of),
            e.deleted_at.is_(None),
            mine.is_distinct_from(e.version),
        )

    def _details(self, e: Any) -> Any:
        given_by = func.nullif(_detail(e, "given_by"), "")
        giver = select(_GIVER.name).where(_GIVER.id == cast(given_by, Uuid)).scalar_subquery()
        consent = func.nullif(_detail(e, "consent_id"), "")
        kinds: dict[str, tuple[str, Fields]] = {
            "meal": (
                "MealDetails",
                {
                    "meal": lambda _: _upper(_detail(e, "meal")),
                    "amount": lambda _: _upper(_detail(e, "amount")),
                },
            ),
            "sleep": (
                "SleepDetails",
                {
                    "startsAt": lambda _: iso_datetime(e.at),
                    "endsAt": lambda _: iso_datetime(e.ends_at),
                    "minutes": lambda _: cast(
                        func.floor(func.extract("epoch", e.ends_at - e.at) / 60), Integer
                    ),
                },
            ),
            "diaper": ("DiaperDetails", {"diaper": lambda _: _upper(_detail(e, "diaper"))}),
            "medication": (
                "MedicationDetails",
                {
                    "medicine": lambda _: _detail(e, "medicine"),
                    "dose": lambda _: _detail(e, "dose"),
                    "consentId": lambda _: case(
                        (
                            consent.is_not(None),
                            global_id("MedicationConsent", cast(cast(consent, Uuid), Text)),
                        )
                    ),
                    "givenBy": lambda _: case((given_by.is_not(None), giver)),
                },
            ),
            "incident": (
                "IncidentDetails",
                {
                    "description": lambda _: _detail(e, "description"),
                    "firstAid": lambda _: _detail(e, "first_aid"),
                    "confirmations": self._confirmations(e),
                    "needsMyConfirmation": lambda _: self._needs_my_confirmation(e),
                },
            ),
            "activity": (
                "ActivityDetails",
                {"description": lambda _: _detail(e, "description")},
            ),
            "mood": ("MoodDetails", {"mood": lambda _: _upper(_detail(e, "mood"))}),
        }
        note: Fields = {"text": lambda _: _detail(e, "text")}

        def sql(selection: Selection) -> ColumnElement[Any]:
            return case(
                *(
                    (e.kind == kind, selection.object(type_name, fields))
                    for kind, (type_name, fields) in kinds.items()
                ),
                else_=selection.object("NoteDetails", note),
            )

        return sql

    def entry_fields(self, e: Any) -> Fields:
        return {
            "id": lambda _: global_id("DayEntry", e.id),
            "kind": lambda _: _upper(e.kind),
            "day": lambda _: e.day,
            "at": lambda _: iso_datetime(e.at),
            "note": lambda _: e.note,
            "version": lambda _: e.version,
            "corrected": lambda _: and_(e.version > 1, e.deleted_at.is_(None)),
            "correctedAt": lambda _: case((e.version > 1, iso_datetime(e.updated_at))),
            "recordedAt": lambda _: iso_datetime(e.created_at),
            "recordedBy": lambda _: e.recorded_by_name,
            "deletedAt": lambda _: iso_datetime(e.deleted_at),
            "details": self._details(e),
        }

    def entries(self, selection: Selection) -> ColumnElement[Any]:
        e = self.rows.c
        item = selection.object("DayEntry", self.entry_fields(e))
        return (
            select(json_list(item, e.day, e.at, e.id))
            .select_from(self.rows)
            .where(e.id.is_not(None))
            .scalar_subquery()
        )

    # Photos --------------------------------------------------------------------------------

    def photo_fields(self, p: Any) -> Fields:
        @takes_arguments
        def url(selection: Selection) -> ColumnElement[Any]:
            arguments = selection.arguments()
            variant = VARIANTS.get(arguments.get("variant", "DISPLAY"))
            if variant is None or set(arguments) - {"variant"}:
                raise NotCompilable("url variant")
            marker = func.json_build_object(
                literal_column(f"'{SIGN}'", Text),
                func.json_build_array(p.filename, p.variants, literal(variant, Text)),
            )
            return case((p.stored_file_id.is_not(None), marker))

        return {
            "id": lambda _: global_id("Photo", p.id),
            "caption": lambda _: p.caption,
            "takenBy": lambda _: func.coalesce(p.name, ""),
            "takenOn": lambda _: p.taken_on,
            "url": url,
        }

    def photo_list(self, selection: Selection) -> ColumnElement[Any]:
        p = self.p
        item = selection.object("Photo", self.photo_fields(p))
        return (
            select(json_list(item, p.created_at, p.id)).select_from(self.photos).scalar_subquery()
        )

    def answer(self, selection: Selection) -> ColumnElement[Any]:
        c = self.child.c
        child: Fields = {
            "id": lambda _: global_id("Child", c.child_id),
            "name": lambda _: func.concat(c.child_first_name, " ", c.child_last_name, type_=Text),
            "firstName": lambda _: c.child_first_name,
            "lastName": lambda _: c.child_last_name,
        }
        fields: Fields = {
            "date": lambda _: literal(self.day.isoformat(), Text),
            "child": lambda inner: inner.object("Child", child),
            "entries": self.entries,
            "photos": self.photo_list,
        }
        day = selection.object("ChildDayTimeline", fields)
        return select(case((self.shown, day))).select_from(self.child).scalar_subquery()

    def logged(self) -> list[tuple[AccessKind, Select[Any]]]:
        """The access log's reads: the child's day entries when the day is shown, its photos
        when it has any."""
        c = self.child.c
        entries = select(c.child_id, c.child_institution_id.label("institution_id")).where(
            self.shown
        )
        photos = entries.where(select(self.p.id).exists())
        return [(AccessKind.DAY_ENTRIES, entries), (AccessKind.PHOTOS, photos)]


class CompiledChildDay:
    name = "ChildDay"
    logs_in_statement = True
    # One statement for every child asked about (its rows are the visibility rules'): the
    # child is a parameter read from each request's variables.
    bound_variables = {"child": global_id_type}

    def accepts(self, variables: Mapping[str, Any]) -> bool:
        if set(variables) - {"child", "date", "includeDeleted"}:
            return False
        if not isinstance(variables.get("child"), str):
            return False
        if not isinstance(variables.get("includeDeleted", False), bool):
            return False
        try:
            _date_of(variables.get("date"))
        except NotCompilable:
            return False
        return True

    def statement(self, request: CompiledRequest) -> Select[Any]:
        actor = request.actor
        built: list[_Day] = []

        @takes_arguments
        def child_day(selection: Selection) -> ColumnElement[Any]:
            arguments = selection.arguments()
            if set(arguments) - {"child", "date", "includeDeleted"} or built:
                raise NotCompilable("childDay arguments, or childDay twice")
            # Not a Child ID: NotCompilable, the resolver answers null.
            child_id = bound_id(request, "child", "Child", arguments.get("child"))
            include_deleted = arguments.get("includeDeleted", False)
            if not isinstance(include_deleted, bool):
                raise NotCompilable("includeDeleted")
            day = _Day(actor, child_id, _date_of(arguments.get("date")), include_deleted)
            built.append(day)
            return day.answer(selection)

        data = request.compiler.root("Query", {"childDay": child_day})
        if not built:
            raise NotCompilable("no childDay")
        statement = select(cast(data, Text))
        if request.access_log:
            reads = built[0].logged()
            statement = logging_in_statement(statement, actor, reads, operation=self.name)
        return statement

    def record(self, answered: CompiledAnswer) -> None:
        written_in_statement(answered.db, answered.columns)

    async def finish(self, answer: CompiledAnswer) -> dict[str, Any]:
        """The photos' download links, signed as the resolvers sign them."""
        context = answer.context
        storage, ttl = context.runtime.storage, context.settings.signed_url_ttl_seconds

        async def sign(marked: list[Any]) -> str | None:
            filename, variants, variant = marked
            file = FileRow(uuid.UUID(int=0), filename, None, None, variants)
            return await signed_url(storage, file, variant, expires_in=ttl)

        return await replace_marked(answer.data, SIGN, sign)

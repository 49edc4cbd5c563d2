"""What goes into a person's Art. 15 export, gathered by running the apps' own trusted
documents against the schema as that person (app.privacy.export.service.build): the answer
is exactly what the API gives them, through the same visibility functions, consent rules
and access logging, with nothing read around it. Only the stored objects (photos at full
resolution, attachments) are looked up by what those answers name, through the photo ZIP's
own plan (app.gallery.service.export) and the files the messages carry.

Signed links in the answers (`url`) are dropped: they expire within minutes, and the files
they point at are in the archive itself. Connections become plain lists."""

from __future__ import annotations

import dataclasses
import functools
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.api.ids import encode, try_decode
from app.api.trusted import TrustedDocuments
from app.attendance.presence.models import Presence
from app.core.actor import Actor
from app.core.runtime import Runtime
from app.daybook.models import DayEntry
from app.db import RequestSession
from app.files.models import StoredFile
from app.files.service.uploads import main_variant
from app.gallery.service import export as photo_zip
from app.institutions.models import Child
from app.ops.jobs import JobContext
from app.privacy.accesslog.service import recording as access_log
from app.privacy.export.policies import custody_children
from app.privacy.export.service.build import FilePart, Gatherer, JsonPart, Part, Progress
from app.root.context import Context
from app.root.schema import SeddelSchema, build_schema

PAGE = 100
DAY_WINDOW = 31  # childDays answers at most 31 days
PRESENCE_WINDOW = 93  # presenceHistory answers at most 93 days
# Data dated before the child joined (a backdated absence or entry) is found this far back.
BEFORE_JOINING = timedelta(days=62)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_UNSAFE = re.compile(r"[^\w.-]+")


class ExportFailed(RuntimeError):
    """A document answered with errors: the export is not complete, so it is not made."""


class _ExportContext(Context, kw_only=True):
    """A request context for one person without a token: the actor is given, and stays the
    same for every operation (FreshActorPerOperation would sign in again)."""

    given: Actor

    async def actor(self) -> Actor | None:
        self._actor, self._actor_loaded, self.language = self.given, True, self.given.language
        return self.given

    def begin_operation(self) -> None:
        self._loaders = None


@dataclasses.dataclass
class _Api:
    schema: SeddelSchema
    documents: TrustedDocuments
    context: _ExportContext

    async def run(self, name: str, **variables: Any) -> dict[str, Any]:
        document = self.documents.by_name(name)
        assert document is not None, name
        result = await self.schema.execute(
            document.text,
            variable_values=variables,
            context_value=self.context,
            operation_name=name,
        )
        if result.errors or result.data is None:
            raise ExportFailed(f"{name}: {[e.message for e in result.errors or []]}")
        return result.data

    async def pages(self, name: str, path: str, **variables: Any) -> list[Any]:
        """Every node of a connection at `path` (dotted), page by page."""
        nodes: list[Any] = []
        after = None
        while True:
            data: Any = await self.run(name, first=PAGE, after=after, **variables)
            for step in path.split("."):
                data = data.get(step) if data else None
            if not data:
                return nodes
            nodes.extend(edge["node"] for edge in data["edges"])
            if not data["pageInfo"]["hasNextPage"]:
                return nodes
            after = data["pageInfo"]["endCursor"]


def clean(value: Any) -> Any:
    """The answer as the archive keeps it: without signed links (`url`) and paging."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if k not in ("url", "cursor", "pageInfo")}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


_SCHEMAS: dict[int, tuple[Any, SeddelSchema]] = {}


def _schema_for(settings: Any) -> SeddelSchema:
    cached = _SCHEMAS.get(id(settings))
    if cached is None or cached[0] is not settings:
        cached = (settings, build_schema(settings))
        _SCHEMAS[id(settings)] = cached
    return cached[1]


@functools.cache
def _documents() -> TrustedDocuments:
    """Read once per process: the worker asks for a gatherer every round."""
    return TrustedDocuments()


def export_gatherer(context: JobContext) -> Gatherer:
    """The gatherer the worker's export job hands app.privacy.export."""
    schema = _schema_for(context.settings)
    documents = _documents()
    # A factory of its own: binding a Runtime to it must not rebind the job's sessions.
    sessions = async_sessionmaker(class_=context.sessions.class_, **dict(context.sessions.kw))
    runtime = Runtime(
        settings=context.settings,
        engine=None,
        sessions=sessions,
        storage=context.storage,
        broker=context.broker,
    )

    def gather(
        *, db: RequestSession, actor: Actor, now: datetime, progress: Progress
    ) -> AsyncIterator[Part]:
        api = _Api(
            schema,
            documents,
            _ExportContext(
                runtime=runtime, db=db, request_id=f"export-{uuid.uuid4()}", given=actor
            ),
        )
        return _gather(api, db=db, actor=actor, storage_now=now, progress=progress)

    return gather


async def _gather(
    api: _Api, *, db: RequestSession, actor: Actor, storage_now: datetime, progress: Progress
) -> AsyncIterator[Part]:
    me = await api.run("Me")
    yield JsonPart("me.json", clean(me["me"]))
    yield JsonPart(
        "notification_settings.json",
        clean((await api.run("NotificationSettings"))["notificationSettings"]),
    )
    yield JsonPart("sessions.json", clean((await api.run("MySessions"))["mySessions"]))
    yield JsonPart("announcements.json", clean(await api.pages("Announcements", "announcements")))
    # An admin's own reads of children's data, as the API shows them to admins.
    for membership in me["me"]["institutions"]:
        if "ADMIN" in membership["roles"]:
            institution = membership["institution"]
            answer = await api.run(
                "InstitutionAccessLog",
                institutionId=institution["id"],
                since=EPOCH.isoformat(),
                personId=str(actor.user_id),
            )
            yield JsonPart(
                f"my_reads/{_safe(institution['name'])}.json",
                clean(answer["institutionAccessLog"]),
            )
    await progress(0.1)
    async for part in _messages(api, db):
        yield part
    await progress(0.3)
    children = sorted(custody_children(actor))
    for number, child_id in enumerate(children):
        async for part in _child(api, db, actor, child_id, today=storage_now.date()):
            yield part
        await progress(0.3 + 0.7 * (number + 1) / len(children))
    # What the gathering read of other children's data (a staff member's threads) is in the
    # access log like any request's reads (app.privacy.accesslog).
    if api.context.settings.access_log:
        await access_log.flush(db)


async def _messages(api: _Api, db: RequestSession) -> AsyncIterator[Part]:
    threads = []
    files: dict[uuid.UUID, datetime] = {}
    for archived in (False, True):
        for thread in await api.pages("Inbox", "inbox", archived=archived):
            messages = await api.pages("ThreadMessagesPage", "node.messages", id=thread["id"])
            for message in messages:
                for file in message.get("files") or []:
                    decoded = try_decode(file["id"])
                    if decoded is not None and decoded[0] == "File":
                        files.setdefault(decoded[1], _when(message.get("createdAt")))
            threads.append({**clean(thread), "messages": clean(messages)})
    yield JsonPart("messages/threads.json", threads)
    for file_id, key, filename in await _file_keys(db, files):
        yield FilePart(f"messages/files/{file_id}-{_safe(filename)}", key, files[file_id])


async def _file_keys(
    db: RequestSession, files: dict[uuid.UUID, datetime]
) -> list[tuple[uuid.UUID, str, str]]:
    """The stored objects of files the API showed this person (by their ids)."""
    if not files:
        return []
    rows = (
        await db.scalars(
            select(StoredFile).where(StoredFile.id.in_(sorted(files))).order_by(StoredFile.id)
        )
    ).all()
    return [
        (row.id, row.variants[main_variant(row)]["key"], row.filename)
        for row in rows
        if row.variants
    ]


async def _child(
    api: _Api, db: RequestSession, actor: Actor, child_id: uuid.UUID, *, today: date
) -> AsyncIterator[Part]:
    child = await db.get(Child, child_id)
    if child is None:
        return
    gid = encode("Child", child_id)
    folder = f"children/{_safe(f'{child.first_name}-{child.last_name}')}-{child_id.hex[-8:]}"
    since = await _first_day(db, child, today)
    yield JsonPart(
        f"{folder}/record.json", clean((await api.run("ChildRecord", childId=gid))["childRecord"])
    )
    yield JsonPart(
        f"{folder}/photo_consent.json",
        clean((await api.run("PhotoConsent", childId=gid))["photoConsent"]),
    )
    pickup = await api.run("PickupPersons", childId=gid)
    plans = await api.run("PickupPlanDefaults", childId=gid)
    yield JsonPart(f"{folder}/pickup.json", clean({**pickup, **plans}))
    absences = await api.run(
        "Absences",
        childId=gid,
        start=EPOCH.date().isoformat(),
        end=(today + timedelta(366)).isoformat(),
    )
    yield JsonPart(f"{folder}/absences.json", clean(absences["absences"]))
    days: list[Any] = []
    for start, end in _windows(since, today, DAY_WINDOW):
        answer = await api.run("ChildDays", child=gid, start=start.isoformat(), end=end.isoformat())
        days.extend(day for day in answer["childDays"] if day["entries"] or day["photos"])
    yield JsonPart(f"{folder}/days.json", clean(days))
    presence: list[Any] = []
    for start, end in _windows(since, today, PRESENCE_WINDOW):
        answer = await api.run(
            "PresenceHistory", childId=gid, start=start.isoformat(), end=end.isoformat()
        )
        presence.extend(answer["presenceHistory"])
    yield JsonPart(f"{folder}/presence.json", clean(presence))
    photos = await api.pages("ChildPhotos", "childPhotos", childId=gid)
    yield JsonPart(f"{folder}/photos.json", clean(photos))
    # The files: the photo ZIP's own plan, under the same visibility (consent) rules.
    plan = await photo_zip.plan_export(db=db, actor=actor, child_id=child_id)
    for item in plan.items:
        yield FilePart(
            f"{folder}/photos/{item.name}",
            item.key,
            datetime.combine(item.taken_on, datetime.min.time(), UTC),
        )
    log = await api.run("ChildAccessLog", childId=gid, since=EPOCH.isoformat())
    yield JsonPart(f"{folder}/access_log.json", clean(log["childAccessLog"]))


async def _first_day(db: RequestSession, child: Child, today: date) -> date:
    """Where the day log's and attendance's windows start: the child's first entry or stay,
    or when it joined. A bound on the windows only: what is in them is the API's answer."""
    first_entry, first_stay = (
        await db.execute(
            select(
                select(func.min(DayEntry.day))
                .where(DayEntry.child_id == child.id)
                .scalar_subquery(),
                select(func.min(Presence.checked_in_at))
                .where(Presence.child_id == child.id)
                .scalar_subquery(),
            )
        )
    ).one()
    days = [child.created_at.date() - BEFORE_JOINING, today]
    if first_entry is not None:
        days.append(first_entry)
    if first_stay is not None:
        days.append(first_stay.date() - timedelta(days=1))
    return min(days)


def _windows(start: date, end: date, days: int) -> list[tuple[date, date]]:
    out = []
    while start <= end:
        last = min(end, start + timedelta(days=days - 1))
        out.append((start, last))
        start = last + timedelta(days=1)
    return out


def _when(value: str | None) -> datetime:
    if value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return datetime.now(UTC)


def _safe(name: str) -> str:
    return _UNSAFE.sub("-", name).strip("-.")[:80] or "file"

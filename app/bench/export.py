"""`seddel bench --export`: the Art. 15 export of one child with 200 photos, on its own (a
fresh SQLite database and local storage in a temporary folder, the demo seeded, 200 photos of
Liva added as an upload and addPhoto leave them). Prints the time the worker's build takes,
the archive's size, and the memory it needed: the peak of Python allocations (tracemalloc,
a second build) and the process's peak RSS before and after. The ZIP is streamed to storage
entry by entry, so the peak stays near one photo, not the archive's size."""

from __future__ import annotations

import asyncio
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.accounts.models import User
from app.bench.gallery import jpeg, stored_photo
from app.config import Settings
from app.core.images import clean_image
from app.db import RequestSession, create_engine, new_id, session_factory, utcnow
from app.files.models import StoredFile
from app.files.service import uploads as files
from app.gallery.models import Photo, PhotoChild
from app.institutions.service.actor import load_actor
from app.ops.demo import seed_demo
from app.ops.jobs import JobContext
from app.ops.migrate import migrate
from app.privacy.export.models import DataExport
from app.privacy.export.service.build import Gatherer, build_queued_exports
from app.privacy.export.service.requests import request_my_data_export
from app.storage import LocalStorage

GUARDIAN = "mette@example.com"
CHILD = ("Liva", "Holm-Jensen")


@dataclass(frozen=True)
class ExportFigures:
    photos: int
    photo_bytes: int
    archive_bytes: int
    seconds: float
    traced_peak: int
    rss_before: int
    rss_after: int


def _status(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Linux: start the peak RSS (VmHWM) again from now, so that it is the build's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _rss() -> int:
    """The process's peak resident set since the last reset (Linux), else since it started."""
    peak = _status("VmHWM")
    if peak is not None:
        return peak
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024


# app.root assembles the schema the gatherer runs; only the cli may import it, and hands
# its factory in (app.root.export.export_gatherer).
GathererFactory = Callable[[JobContext], Gatherer]


async def run_export_bench(export_gatherer: GathererFactory, photos: int = 200) -> ExportFigures:
    folder = Path(tempfile.mkdtemp(prefix="seddel-bench-export-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    settings = Settings(database_url=url, media_root=folder / "media")
    await asyncio.to_thread(migrate, settings)
    engine = create_engine(url)
    sessions = session_factory(engine)
    storage = LocalStorage(folder / "media", settings.secret_key, settings.public_url)
    try:
        async with sessions() as db:
            await seed_demo(db, settings, storage, first_day=False)
            await db.commit()
        photo_bytes = await _seed_photos(engine, storage, photos)
        context = JobContext(sessions=sessions, storage=storage, settings=settings, now=utcnow())
        gather = export_gatherer(context)
        await _request(sessions)
        _reset_peak()
        rss_before = _status("VmRSS") or _rss()
        started = time.perf_counter()
        await build_queued_exports(sessions=sessions, storage=storage, gather=gather)
        seconds = time.perf_counter() - started
        rss_after = _rss()
        archive_bytes = await _ready_size(sessions)
        # Again under tracemalloc (slower, so not timed): the peak of what Python held.
        await _request(sessions)
        tracemalloc.start()
        await build_queued_exports(sessions=sessions, storage=storage, gather=gather)
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        await engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    return ExportFigures(
        photos, photo_bytes, archive_bytes, seconds, traced_peak, rss_before, rss_after
    )


async def _seed_photos(engine: AsyncEngine, storage: LocalStorage, count: int) -> int:
    """`count` photos of the child alone, at a phone photo's full rendition."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT c.id, c.institution_id, c.group_id, a.user_id FROM children c"
                    " JOIN admin_memberships a ON a.institution_id = c.institution_id"
                    " WHERE c.first_name = :first AND c.last_name = :last LIMIT 1"
                ),
                {"first": CHILD[0], "last": CHILD[1]},
            )
        ).one()
    # Raw SQL on SQLite answers UUIDs as text.
    child_id, institution_id, group_id, author = (uuid.UUID(str(value)) for value in row)
    cleaned = await asyncio.to_thread(
        clean_image, jpeg(2400, 1800, noise=True), sizes=files.PURPOSES["photo"].image_sizes
    )
    now = utcnow()
    stored, rows, tags = [], [], []
    for n in range(count):
        photo_id = new_id()
        file_row = await stored_photo(
            storage, cleaned, institution_id, author, f"IMG_{n:04}.jpg", now
        )
        file_id = file_row["id"]
        stored.append(file_row)
        rows.append(
            {
                "id": photo_id,
                "institution_id": institution_id,
                "group_id": group_id,
                "file_id": file_id,
                "taken_on": (now - timedelta(days=n % 60)).date(),
                "caption": f"Billede {n + 1}",
                "created_by": author,
                "created_at": now,
                "updated_at": now,
            }
        )
        tags.append({"photo_id": photo_id, "child_id": child_id, "institution_id": institution_id})
    async with engine.begin() as connection:
        await connection.execute(insert(StoredFile), stored)
        await connection.execute(insert(Photo), rows)
        await connection.execute(insert(PhotoChild), tags)
    return len(cleaned.renditions["full"].data) * count


async def _request(sessions: async_sessionmaker[RequestSession]) -> None:
    async with sessions() as db:
        user = await db.scalar(select(User).where(User.email_key == GUARDIAN))
        assert user is not None
        actor = await load_actor(db=db, user=user, session=None)
        await db.commit()
        await request_my_data_export(db=db, actor=actor)


async def _ready_size(sessions: async_sessionmaker[RequestSession]) -> int:
    async with sessions() as db:
        row = (
            await db.execute(
                select(DataExport.state, DataExport.size_bytes, DataExport.failure_reason)
                .order_by(DataExport.requested_at.desc())
                .limit(1)
            )
        ).one()
    assert row.state == "ready", row
    return int(row.size_bytes or 0)


def print_export(figures: ExportFigures) -> None:
    mib = 1024 * 1024
    print(f"Art. 15 export of one child with {figures.photos} photos (SQLite, local storage)")
    print(f"  photos at full resolution: {figures.photo_bytes / mib:8.1f} MiB")
    print(f"  archive (ZIP):             {figures.archive_bytes / mib:8.1f} MiB")
    print(f"  build time:                {figures.seconds:8.2f} s")
    print(f"  tracemalloc peak:          {figures.traced_peak / mib:8.1f} MiB")
    print(
        f"  RSS before, peak during:   {figures.rss_before / mib:8.1f} / "
        f"{figures.rss_after / mib:.1f} MiB"
    )

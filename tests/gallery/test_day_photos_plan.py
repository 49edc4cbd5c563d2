"""A child's day finds its photos among the photos of that day, whatever the institution's
photo history: with a year of older photos of the child, the statement still touches only
the day's rows (EXPLAIN ANALYZE on PostgreSQL), where looking them up through the child's
tags touches every one of them. And its statements are cached: bound parameters only, the
compiled form reused by the next request."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.engine.interfaces import CacheStats

from app.api.ids import decode
from app.db import new_id, utcnow
from app.files.models import StoredFile
from app.gallery.models import Photo, PhotoChild
from app.gallery.policies import visible_photos
from app.gallery.reads import child_day_photos_statement
from app.institutions.models import Child
from app.institutions.service import actor as institutions
from tests.conftest import is_postgres
from tests.daybook.helpers import LIVA, METTE, yesterday
from tests.gallery.common import add_photo, child, solsikken

HISTORY = 1500  # photos of the child before the day asked for (about a year's)


async def _history(db: Any, child_id: uuid.UUID, n: int) -> None:
    """n older photos, each of the child alone, on the days before yesterday."""
    found = (
        await db.execute(select(Child.institution_id, Child.group_id).where(Child.id == child_id))
    ).one()
    author = (await db.execute(text("SELECT user_id FROM admin_memberships LIMIT 1"))).scalar_one()
    now = utcnow()
    files, photos, tags = [], [], []
    for i in range(n):
        file_id, photo_id = new_id(), new_id()
        files.append(
            {
                "id": file_id,
                "institution_id": found.institution_id,
                "uploaded_by": author,
                "purpose": "photo",
                "kind": "image",
                "filename": f"IMG_{i:04}.jpg",
                "content_type": "image/jpeg",
                "size": 1,
                "variants": {},
                "claimed_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
        photos.append(
            {
                "id": photo_id,
                "institution_id": found.institution_id,
                "group_id": found.group_id,
                "file_id": file_id,
                "taken_on": yesterday() - timedelta(days=1 + i % 365),
                "caption": "",
                "created_by": author,
                "created_at": now,
                "updated_at": now,
            }
        )
        tags.append(
            {"photo_id": photo_id, "child_id": child_id, "institution_id": found.institution_id}
        )
    await db.execute(insert(StoredFile), files)
    await db.execute(insert(Photo), photos)
    await db.execute(insert(PhotoChild), tags)


def _touched(plan: dict[str, Any], tables: set[str]) -> int:
    """Rows the plan's nodes on `tables` produced or filtered away, over all their loops."""
    loops = plan.get("Actual Loops", 1)
    own = 0
    if plan.get("Relation Name") in tables:
        own = (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)) * loops
    return own + sum(_touched(p, tables) for p in plan.get("Plans", []))


async def _explain(db: Any, statement: Any) -> dict[str, Any]:
    sql = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    plan = (await db.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"))).scalar_one()
    result: dict[str, Any] = plan[0]["Plan"]
    return result


@pytest.mark.skipif(not is_postgres(), reason="plans are PostgreSQL's")
async def test_the_day_s_photos_cost_what_the_day_holds_not_the_history(client, runtime):
    node = await solsikken(client)
    liva = child(node, LIVA)
    await add_photo(client, node, [liva["id"]], takenOn=yesterday().isoformat(), caption="i går")
    liva_id = decode(liva["id"], "Child", field="child")
    token = await client.token_for(METTE)
    async with runtime.sessions() as db:
        actor = await institutions.sign_in(db=db, token=token)
        assert actor is not None
        await _history(db, liva_id, HISTORY)
        institution_id = actor.children[liva_id].institution_id
        day = yesterday()
        anchored = child_day_photos_statement(
            actor, child_id=liva_id, institution_id=institution_id, start=day, end=day
        )
        rows = (await db.execute(anchored)).all()
        assert len(rows) == 1
        # The shape before: the child's tags first, then their photos' day.
        through_tags = (
            select(Photo.id)
            .join(PhotoChild, PhotoChild.photo_id == Photo.id)
            .where(PhotoChild.child_id.in_([liva_id]), Photo.taken_on.in_([day]))
            .where(visible_photos(actor))
        )
        tables = {"photos", "photo_children"}
        touched = _touched(await _explain(db, anchored), tables)
        before = _touched(await _explain(db, through_tags), tables)
    print(f"rows touched: {touched} anchored on the day, {before} through the child's tags")
    assert touched < 50, touched
    assert before > HISTORY, before


def _sql_constants() -> set[str]:
    """The texts of app/api/compiled.py's `sql_constant`s, as they appear between quotes."""
    from sqlalchemy.sql.elements import ColumnClause

    from app.api import compiled

    found = set()
    for value in vars(compiled).values():
        if not (isinstance(value, ColumnClause) and value.is_literal):
            continue
        if m := re.fullmatch(r"E?'(.*)'", value.name, re.S):
            found.add(m.group(1))
    return found


async def test_the_child_day_statements_are_compiled_once_and_bound(client, connection):
    node = await solsikken(client)
    liva = child(node, LIVA)
    await add_photo(client, node, [liva["id"]], takenOn=yesterday().isoformat(), caption="i går")
    variables = {"child": liva["id"], "date": yesterday().isoformat()}
    await client.gql("ChildDay", variables, as_=METTE)  # compiles the statements
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, _p: Any, context: Any, _many: bool) -> None:
        if isinstance(context, DefaultExecutionContext):
            seen.append((statement, context.cache_hit))

    sync_engine = connection.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        day = (await client.gql("ChildDay", variables, as_=METTE))["childDay"]
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    assert len(day["photos"]) == 1
    reads = [(s, hit) for s, hit in seen if "FROM photos" in s or "FROM children" in s]
    assert reads, seen
    for statement, hit in reads:
        assert hit is CacheStats.CACHE_HIT, statement
        assert yesterday().isoformat() not in statement, statement
        # Only names and the SQL's own constants are inlined: a compiled document's JSON keys
        # and type names (app/api/compiled.py), its signing marker, its empty list and the
        # helpers' formats and encodings (`sql_constant`); never a value.
        inlined = re.findall(r"'([^']*)'", statement)
        name = r"\$?[_A-Za-z][_0-9A-Za-z]*:?|\[\]"
        bad = [v for v in inlined if not re.fullmatch(name, v) and v not in _sql_constants()]
        assert not bad, bad

"""System jobs under RLS: the narrow policy lets a job list institutions and nothing more, and
no request scope ever sees another tenant because of it."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app.accounts.models import User
from app.announcements.models import Announcement
from app.core.system_scope import institution_ids, institution_session
from app.db import session_factory
from app.institutions.models import Child, GuardianLink, Institution
from app.institutions.service import actor as institutions
from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="row-level security is PostgreSQL's")


async def test_listing_institutions_leaves_no_system_flag_behind(engine):
    async with engine.connect() as connection, session_factory(connection)() as db:
        ids = await institution_ids(db)
        assert len(ids) == 2
        # The next transaction on the same pooled connection: a request of Regnbuen's admin.
        user = await db.scalar(select(User).where(User.email_key == "admin@regnbuen.example"))
        actor = await institutions.load_actor(db=db, user=user, session=None)
        flag = await db.scalar(text("SELECT current_setting('seddel.system_job', true)"))
        assert flag in (None, "")
        seen = {row.id for row in (await db.scalars(select(Institution))).all()}
        assert seen == set(actor.admin_of)
        await db.rollback()


async def test_the_system_flag_opens_only_reading_institutions(runtime):
    async with runtime.sessions() as db, db.begin():
        await db.execute(text("SELECT set_config('seddel.system_job', 'list_institutions', true)"))
        assert len((await db.scalars(select(Institution))).all()) == 2
        # No tenant data, no writes.
        assert (await db.scalars(select(Child))).all() == []
        assert (await db.scalars(select(GuardianLink))).all() == []
        assert (await db.scalars(select(Announcement))).all() == []
        changed = await db.execute(text("UPDATE institutions SET name = 'X'"))
        assert changed.rowcount == 0


async def test_a_job_session_sees_one_institution_only(runtime):
    async with runtime.sessions() as db:
        ids = await institution_ids(db)
    async with institution_session(runtime.sessions, ids[0]) as db:
        children = (await db.scalars(select(Child))).all()
        assert children and {c.institution_id for c in children} == {ids[0]}
        assert {i.id for i in (await db.scalars(select(Institution))).all()} == {ids[0]}

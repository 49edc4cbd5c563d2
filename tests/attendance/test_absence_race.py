"""Both parents register the same holiday at the same moment: on PostgreSQL exactly one
registration lands (the child's row is the lock), the other is a typed conflict. Real commits
on separate connections, cleaned up after."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import delete, select

from app.accounts.service import auth as accounts
from app.attendance.absences import service as absences
from app.attendance.absences.models import Absence
from app.core.errors import Conflict
from app.core.system_scope import all_institutions_session
from app.db import session_factory
from app.institutions.models import Child
from app.institutions.service import actor as institutions
from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="row locks are PostgreSQL's")

SUMMER = (date(2031, 7, 7), date(2031, 7, 25))


async def test_two_overlapping_registrations_at_once_land_once(engine):
    sessions = session_factory(engine)
    async with all_institutions_session(sessions) as db, db.begin():
        liva = await db.scalar(
            select(Child.id).where(Child.first_name == "Liva", Child.last_name == "Holm-Jensen")
        )
    assert liva is not None

    async def register(email: str, start: date) -> str:
        async with sessions() as db:
            async with db.begin():
                user = await accounts.find_user_by_email(db=db, email=email)
                assert user is not None
                actor = await institutions.load_actor(db=db, user=user, session=None)
            try:
                await absences.register_absence(
                    db=db,
                    actor=actor,
                    child_id=liva,
                    kind="vacation",
                    from_day=start,
                    until_day=SUMMER[1],
                )
            except Conflict as refused:
                return refused.message_key
            return "registered"

    try:
        outcomes = await asyncio.gather(
            register("mette@example.com", SUMMER[0]),
            register("pernille@solsikken.example", date(2031, 7, 14)),
        )
        assert sorted(outcomes) == ["absence_overlaps", "registered"]
    finally:
        async with all_institutions_session(sessions) as db, db.begin():
            await db.execute(
                delete(Absence).where(Absence.child_id == liva, Absence.from_day >= SUMMER[0])
            )

"""A little of the daily log in the demo: Liva's day so far, through the real services."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import auth as accounts
from app.daybook.service import bulk
from app.daybook.service import entries as daybook
from app.daybook.service.entry_checks import place_of
from app.db import utcnow, write_transaction
from app.institutions.models import Child, Group
from app.institutions.service import actor as institutions

# (local time, kind, details, note); only the moments already past when the demo is made.
LIVA_DAY = [
    (time(8, 10), "mood", {"mood": "happy"}, "Glad ved aflevering"),
    (time(9, 30), "activity", {"description": "Tur til legepladsen i parken"}, ""),
    (time(10, 40), "diaper", {"diaper": "wet"}, ""),
    (time(12, 15), "sleep", {}, ""),
    (time(14, 30), "note", {"text": "Husk ekstra strømper i morgen"}, ""),
]


async def seed_day(db: AsyncSession) -> None:
    """Today's entries for Liva up to now, and lunch for Bjørnene (Liva ate a little)."""
    user = await accounts.find_user_by_email(db=db, email="pernille@solsikken.example")
    assert user is not None
    async with write_transaction(db):
        # Pernille's actor scopes the session to her institution first: with row-level
        # security forced, an owner that is not a superuser sees no child before that.
        actor = await institutions.load_actor(db=db, user=user, session=None)
    async with write_transaction(db):
        liva = await db.scalar(
            select(Child).where(Child.first_name == "Liva", Child.last_name == "Holm-Jensen")
        )
        assert liva is not None and liva.group_id is not None
        group = await db.get(Group, liva.group_id)
        place = await place_of(db, liva.institution_id)
    assert group is not None
    now = utcnow()

    def moment(at: time) -> datetime:
        return datetime.combine(place.today, at, tzinfo=place.tz)

    for at, kind, details, note in LIVA_DAY:
        if moment(at) > now:
            continue
        ends = moment(time(13, 35)) if kind == "sleep" and moment(time(13, 35)) <= now else None
        await daybook.record_entry(
            db=db,
            actor=actor,
            child_id=liva.id,
            day=place.today,
            at=moment(at),
            kind=kind,
            details=details,
            ends_at=ends,
            note=note,
        )
    if moment(time(11, 30)) <= now:
        await bulk.record_group_entries(
            db=db,
            actor=actor,
            group_id=group.id,
            day=place.today,
            at=moment(time(11, 30)),
            kind="meal",
            details={"meal": "lunch", "amount": "well"},
            note="Fiskefrikadeller med rugbrød",
            exceptions=[
                bulk.Override(
                    child_id=liva.id,
                    kind="meal",
                    details={"meal": "lunch", "amount": "little"},
                    note="Ville hellere lege",
                )
            ],
        )

"""The rest of the demo's first day, so a newcomer sees every feature at first start: threads,
an announcement awaiting confirmation, pickup plans, photos under different consents, a
pending invitation and an upcoming closed day. All through the real services, as the people
who would do it in an institution."""

from __future__ import annotations

import io
import uuid
from datetime import date, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.service import auth as accounts
from app.announcements.service import posting as announcements
from app.attendance.plans.service import entries as plans
from app.attendance.plans.service import leaving, reads
from app.config import Settings
from app.core.actor import Actor
from app.core.errors import DomainError
from app.db import write_transaction
from app.files.service import uploads
from app.gallery.service import consent as gallery_consent
from app.gallery.service import photos as gallery
from app.institutions.calendar.service import admin as calendar
from app.institutions.models import Child, Group, GuardianLink
from app.institutions.service import actor as institutions
from app.institutions.service import people
from app.messaging.service import sending, starting
from app.messaging.service.recipients import Recipients
from app.storage import ObjectStorage

# Someone the Solsikken admin has invited who has not signed in yet.
INVITED_STAFF = ("Ditte Friis", "ditte@solsikken.example")
CLOSED_DAY_LABEL = "Pædagogisk dag"
# (caption, which Bjørnene children are on it by index, colours): index 0 is Liva.
PHOTOS = [
    ("Liva på legepladsen", [0], ((250, 200, 60), (60, 140, 220))),
    ("Sandkassen", [], ((230, 190, 120), (90, 170, 90))),
    ("Maling med fingrene", [2], ((220, 80, 80), (250, 250, 240))),
    ("Klodsbyen", [1], ((120, 90, 200), (240, 220, 120))),
]
# The consent each Bjørnene child's custody guardians give, by index (0 is Mette's answer).
CONSENTS = {0: "own_guardians", 1: "own_guardians", 2: "group"}


PERNILLE, ADMIN, METTE, LARS = (
    "pernille@solsikken.example",
    "admin@solsikken.example",
    "mette@example.com",
    "lars@regnbuen.example",
)


async def _actor(db: AsyncSession, email: str) -> Actor:
    """The person as a request would load them, right before they act: loading scopes the
    session to their institutions (row-level security on PostgreSQL)."""
    user = await accounts.find_user_by_email(db=db, email=email)
    assert user is not None, email
    async with write_transaction(db):
        return await institutions.load_actor(db=db, user=user, session=None)


async def _group_children(db: AsyncSession, name: str) -> tuple[Group, list[Child]]:
    async with write_transaction(db):
        group = await db.scalar(select(Group).where(Group.name == name))
        assert group is not None
        children = list(
            await db.scalars(
                select(Child).where(Child.group_id == group.id).order_by(Child.created_at, Child.id)
            )
        )
    return group, children


def _picture(caption: str, colours: tuple[tuple[int, int, int], tuple[int, int, int]]) -> bytes:
    """A small generated picture: a sky, a lawn, a sun and a few blocks (no faces)."""
    sky, ground = colours
    image = Image.new("RGB", (480, 320), sky)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 220, 480, 320), fill=ground)
    draw.ellipse((380, 30, 440, 90), fill=(255, 230, 90))
    for n, char in enumerate(caption[:6]):
        x = 40 + n * 60
        draw.rectangle((x, 170 - (ord(char) % 5) * 12, x + 40, 220), fill=(40 + n * 30, 60, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


async def _open_day(
    db: AsyncSession, staff: Actor, child_id: uuid.UUID, plan: plans.PlanInput, first: date
) -> date | None:
    """Set the plan for `first` (the institution's today), or the next day the institution is
    open (a demo made on a Sunday still shows plans); the day it landed on."""
    for offset in range(14):
        day = first + timedelta(days=offset)
        try:
            await plans.set_plan(
                db=db,
                actor=staff,
                child_id=child_id,
                plan=plans.PlanInput(**{**plan.__dict__, "day": day}),
            )
        except DomainError:
            continue
        return day
    return None


async def seed_life(db: AsyncSession, settings: Settings, storage: ObjectStorage | None) -> None:
    await _actor(db, PERNILLE)
    bjornene, children = await _group_children(db, "Bjørnene")
    liva = children[0]
    assert liva.first_name == "Liva"
    institution_id = bjornene.institution_id
    await _threads(db, bjornene, liva)
    await announcements.post_announcement(
        db=db,
        actor=await _actor(db, PERNILLE),
        institution_id=institution_id,
        group_id=bjornene.id,
        title="Tur til skoven på torsdag",
        body="Vi tager bussen til Riis Skov. Husk madpakke, regntøj og gummistøvler."
        " Bekræft venligst, at jeres barn må komme med.",
        requires_confirmation=True,
        due_on=date.today() + timedelta(days=7),
    )
    await _photos(db, storage, bjornene, children)
    bjornene_id = bjornene.id
    # Last of the steps that hold loaded rows: a refused day (a weekend) rolls back and
    # expires them.
    await _pickup(db, liva, children[3])
    await people.add_staff(
        db=db,
        settings=settings,
        actor=await _actor(db, ADMIN),
        institution_id=institution_id,
        email=INVITED_STAFF[1],
        name=INVITED_STAFF[0],
        title="Pædagogmedhjælper",
        group_ids=[bjornene_id],
        tell=True,
    )
    closed = date.today() + timedelta(days=14)
    while closed.weekday() >= 5:
        closed += timedelta(days=1)
    await calendar.close_days(
        db=db,
        actor=await _actor(db, ADMIN),
        institution_id=institution_id,
        start=closed,
        end=closed,
        label=CLOSED_DAY_LABEL,
    )


async def _threads(db: AsyncSession, bjornene: Group, liva: Child) -> None:
    broadcast = await starting.start_thread(
        db=db,
        actor=await _actor(db, PERNILLE),
        institution_id=bjornene.institution_id,
        subject="Velkommen til ugen i Bjørnene",
        body="Hej alle. I denne uge arbejder vi med efterår: vi samler blade og laver"
        " kastanjedyr. Tag gerne kastanjer med hjemmefra.",
        recipients=Recipients(groups=(bjornene.id,)),
    )
    await sending.send_message(
        db=db,
        actor=await _actor(db, METTE),
        thread_id=broadcast.threads[0].id,
        body="Dejligt! Liva har allerede en pose kastanjer klar.",
    )
    await starting.start_thread(
        db=db,
        actor=await _actor(db, PERNILLE),
        institution_id=bjornene.institution_id,
        subject="Livas skiftetøj",
        body="Hej Mette og Jonas. Liva mangler ekstra strømper og bukser i sin kurv.",
        recipients=Recipients(children=(liva.id,)),
    )
    await starting.start_thread(
        db=db,
        actor=await _actor(db, ADMIN),
        institution_id=bjornene.institution_id,
        subject="Samtale om Livas trivsel",
        body="Hej Mette. Vi vil gerne invitere til en samtale om Livas trivsel."
        " Passer det tirsdag kl. 15?",
        recipients=Recipients(children=(liva.id,)),
        sensitive=True,
    )


async def _pickup(db: AsyncSession, liva: Child, friend: Child) -> None:
    """Oscar goes home alone (Mette allowed it); Liva goes home with a friend from Bjørnene."""
    # A refused day rolls back and expires every loaded row, so read what is needed first.
    liva_id, friend_id, friend_name = liva.id, friend.id, friend.first_name
    today = await reads.today_of(db, liva.institution_id)
    mette = await _actor(db, METTE)
    oscar = next(c for c in mette.children if c != liva_id)
    await leaving.set_go_home_alone(
        db=db, actor=mette, child_id=oscar, allowed=True, note="Går selv hjem, 300 m"
    )
    await _open_day(
        db,
        await _actor(db, LARS),
        oscar,
        plans.PlanInput(leave_mode="alone", pickup=time(15, 0), alone_until=time(15, 30)),
        today,
    )
    await _open_day(
        db,
        await _actor(db, PERNILLE),
        liva_id,
        plans.PlanInput(
            leave_mode="with_child",
            pickup=time(15, 30),
            companion_child_id=friend_id,
            note=f"Legeaftale hos {friend_name}",
        ),
        today,
    )


async def _photos(
    db: AsyncSession,
    storage: ObjectStorage | None,
    bjornene: Group,
    children: list[Child],
) -> None:
    if storage is None:
        return
    for index, level in CONSENTS.items():
        child = children[index]
        await _actor(db, PERNILLE)
        async with write_transaction(db):
            links = list(
                await db.scalars(
                    select(GuardianLink).where(
                        GuardianLink.child_id == child.id, GuardianLink.has_custody.is_(True)
                    )
                )
            )
        for link in links:
            async with write_transaction(db):
                guardian = await db.get(User, link.user_id)
                assert guardian is not None
                actor = await institutions.load_actor(db=db, user=guardian, session=None)
            await gallery_consent.set_photo_consent(
                db=db, actor=actor, child_id=child.id, level=level
            )
    pernille = await _actor(db, PERNILLE)
    for caption, tagged, colours in PHOTOS:
        stored = await uploads.upload(
            db=db,
            storage=storage,
            actor=pernille,
            institution_id=bjornene.institution_id,
            purpose="photo",
            filename=f"{caption}.jpg",
            data=_picture(caption, colours),
        )
        await gallery.add_photo(
            db=db,
            actor=pernille,
            group_id=bjornene.id,
            file_id=stored.id,
            caption=caption,
            child_ids=[children[i].id for i in tagged],
        )

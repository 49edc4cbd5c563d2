"""The demo: the same institutions, people and children every time, so docs and tests can
name them. Everything is made through the real services."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.service import auth as accounts
from app.config import Settings
from app.core.actor import Actor
from app.db import scope, write_transaction
from app.institutions.models import Child
from app.institutions.service import actor as institutions
from app.institutions.service import children as institution_children
from app.institutions.service import groups as institution_groups
from app.institutions.service import institution_admin, people
from app.institutions.service import settings as institution_settings
from app.ops import demo_daybook as daybook_demo
from app.ops import demo_life
from app.storage import ObjectStorage

DEMO_PASSWORD = "seddel-demo"
WEEKDAY_HOURS = {d: ["06:30", "17:00"] for d in ("mon", "tue", "wed", "thu")} | {
    "fri": ["06:30", "16:00"]
}
SFO_HOURS = {d: ["06:30", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}

FIRST_NAMES = [
    "Liva",
    "Oscar",
    "Ella",
    "William",
    "Ida",
    "Noah",
    "Emma",
    "Carl",
    "Alma",
    "Alfred",
    "Freja",
    "Valdemar",
    "Agnes",
    "Malthe",
    "Clara",
    "Aksel",
    "Karla",
    "Viggo",
    "Asta",
    "Elias",
    "Sofia",
    "Lucas",
    "Olivia",
    "Arthur",
    "Nora",
    "Magnus",
    "Luna",
    "August",
    "Ellen",
    "Storm",
    "Josefine",
    "Anton",
    "Esther",
    "Frederik",
    "Ingrid",
    "Theo",
    "Lærke",
    "Bertram",
    "Merle",
    "Søren",
]
LAST_NAMES = [
    "Jensen",
    "Nielsen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Knudsen",
    "Jakobsen",
    "Holm",
    "Lund",
    "Schmidt",
]
PARENT_FIRST_NAMES = [
    "Anne",
    "Peter",
    "Maria",
    "Michael",
    "Louise",
    "Thomas",
    "Camilla",
    "Martin",
    "Julie",
    "Rasmus",
    "Sara",
    "Jesper",
    "Line",
    "Kasper",
    "Signe",
    "Mads",
    "Maja",
    "Anders",
    "Katrine",
    "Jacob",
]
GROUPS = {
    "Solsikken": ("vuggestue og børnehave", WEEKDAY_HOURS, ["Bjørnene", "Myrerne", "Frøerne"]),
    "Regnbuen": ("SFO", SFO_HOURS, ["0.A", "1.A"]),
}
CHILDREN_PER_GROUP = 12
# (age range in years) per group, so birth dates look like the group's children.
AGES = {"Bjørnene": (3, 5), "Myrerne": (1, 2), "Frøerne": (3, 5), "0.A": (6, 6), "1.A": (7, 7)}


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str


DEMO_LOGINS = [
    DemoLogin("admin@solsikken.example", "admin of Solsikken"),
    DemoLogin("pernille@solsikken.example", "pædagog in Bjørnene (Solsikken)"),
    DemoLogin("admin@regnbuen.example", "admin of Regnbuen"),
    DemoLogin("lars@regnbuen.example", "pædagog in 0.A (Regnbuen)"),
    DemoLogin("mette@example.com", "guardian with custody: Liva (Bjørnene) and Oscar (0.A)"),
    DemoLogin("jonas@example.com", "Liva's other parent: no custody, right to information"),
]


def _ascii(text: str) -> str:
    return text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa").replace(" ", "")


async def is_seeded(db: AsyncSession) -> bool:
    return bool(await db.scalar(select(func.count()).select_from(User)))


STAFF = {
    "Solsikken": [
        ("Pernille Holm", "pernille@solsikken.example", "Bjørnene"),
        ("Karsten Lund", "karsten@solsikken.example", "Myrerne"),
        ("Birgitte Vang", "birgitte@solsikken.example", "Frøerne"),
    ],
    "Regnbuen": [
        ("Lars Bak", "lars@regnbuen.example", "0.A"),
        ("Hanne Krog", "hanne@regnbuen.example", "1.A"),
    ],
}


class DemoBuilder:
    def __init__(self, db: AsyncSession, settings: Settings, password_hash: str) -> None:
        self.db = db
        self.settings = settings
        self.password_hash = password_hash
        self.rng = random.Random(2026)
        self.today = date.today()

    async def person(self, name: str, email: str) -> User:
        existing = await accounts.find_user_by_email(db=self.db, email=email)
        if existing:
            return existing
        async with write_transaction(self.db):
            return await accounts.create_user(
                db=self.db,
                settings=self.settings,
                name=name,
                email=email,
                password_hash=self.password_hash,
            )

    async def institution(self, municipality_id: uuid.UUID, name: str) -> None:
        kind, hours, group_names = GROUPS[name]
        institution = await institution_admin.create_institution(
            db=self.db, municipality_id=municipality_id, name=name, kind=kind, opening_hours=hours
        )
        admin_user = await self.person(f"Leder af {name}", f"admin@{_ascii(name)}.example")
        await institution_admin.grant_admin(
            db=self.db, institution_id=institution.id, user_id=admin_user.id
        )
        async with write_transaction(self.db):
            admin = await institutions.load_actor(db=self.db, user=admin_user, session=None)
        # The demo's admins sign in with the printed password alone: trying Seddel out needs
        # no authenticator app. A real institution keeps the default (admins must have one).
        await institution_settings.update_settings(
            db=self.db,
            actor=admin,
            institution_id=institution.id,
            changes={"require_second_factor_for_admins": False},
        )
        groups = {}
        for group_name in group_names:
            group = await institution_groups.create_group(
                db=self.db, actor=admin, institution_id=institution.id, name=group_name
            )
            groups[group_name] = group.id
        for staff_name, email, group_name in STAFF[name]:
            await self.person(staff_name, email)
            await people.add_staff(
                db=self.db,
                settings=self.settings,
                actor=admin,
                institution_id=institution.id,
                email=email,
                name=staff_name,
                title="Pædagog",
                group_ids=[groups[group_name]],
                tell=False,  # demo people have their password: no mail
            )
        for group_name, group_id in groups.items():
            await self.children(admin, group_name, group_id)

    async def children(self, admin: Actor, group_name: str, group_id: uuid.UUID) -> None:
        low, high = AGES[group_name]
        for index in range(CHILDREN_PER_GROUP):
            first = FIRST_NAMES[(index * 7 + len(group_name) * 3) % len(FIRST_NAMES)]
            last = self.rng.choice(LAST_NAMES)
            family_child = index == 0 and group_name in ("Bjørnene", "0.A")
            if family_child:
                first, last = ("Liva" if group_name == "Bjørnene" else "Oscar"), "Holm-Jensen"
            child = await institution_children.create_child(
                db=self.db,
                actor=admin,
                group_id=group_id,
                first_name=first,
                last_name=last,
                birth_date=self.today
                - timedelta(days=self.rng.randint(low * 365 + 30, high * 365 + 330)),
                active_from=self.today - timedelta(days=200),
                is_protected=(index == 5 and group_name == "Bjørnene"),
            )
            if family_child:
                await self.guardian(admin, child, "Mette Holm-Jensen", "mette@example.com", "mor")
                if group_name == "Bjørnene":
                    await self.guardian(
                        admin,
                        child,
                        "Jonas Jensen",
                        "jonas@example.com",
                        "far",
                        has_custody=False,
                        access="information",
                    )
                continue
            for number, relation in enumerate(("mor", "far")[: 1 + self.rng.randint(0, 1)]):
                parent = PARENT_FIRST_NAMES[
                    (index * 2 + number + len(group_name)) % len(PARENT_FIRST_NAMES)
                ]
                email = f"{_ascii(parent)}.{_ascii(last)}.{_ascii(first)}@example.com"
                await self.guardian(admin, child, f"{parent} {last}", email, relation)

    async def guardian(
        self,
        admin: Actor,
        child: Child,
        name: str,
        email: str,
        relation: str,
        *,
        has_custody: bool = True,
        access: str | None = None,
    ) -> None:
        await self.person(name, email)
        await people.add_guardian(
            db=self.db,
            settings=self.settings,
            actor=admin,
            child_id=child.id,
            email=email,
            name=name,
            relation=relation,
            has_custody=has_custody,
            access=access,
            tell=False,
        )


async def seed_demo(
    db: AsyncSession,
    settings: Settings,
    storage: ObjectStorage | None = None,
    *,
    first_day: bool = True,
) -> None:
    """Create the demo; call on an empty database. `first_day`: also the threads, plans,
    photos (only with `storage`) and the rest a newcomer looks at (app.ops.demo_life)."""
    # One hash for every demo user: argon2 is slow by design, and these are demo accounts.
    password_hash = await accounts.hash_password(settings, DEMO_PASSWORD)
    scope(db, institution_ids=(), user_id=None)
    builder = DemoBuilder(db, settings, password_hash)
    municipality = await institution_admin.create_municipality(db=db, name="Aarhus Kommune")
    for name in GROUPS:
        await builder.institution(municipality.id, name)
    await daybook_demo.seed_day(db)
    if first_day:
        await demo_life.seed_life(db, settings, storage)

"""The roster import's use cases: a dry run (read, check, plan, keep the plan) and its commit
(plan again against the roster as it is now; apply only when that equals the dry run's plan,
all of it in one transaction). Idempotent by external id: the same file imported twice plans
nothing the second time."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.service import invitations
from app.config import Settings
from app.core.actor import Actor
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.db import new_id, utcnow, write_transaction
from app.institutions.models import Child, Group, GuardianLink, Institution
from app.institutions.policies import require_admin
from app.institutions.roster.models import RosterImport
from app.institutions.roster.service.plan import MODES, Plan, make_plan
from app.institutions.roster.service.rows import read_roster, sha256_of
from app.institutions.service.lookups import guardian_reach_changed, institution_today

PLAN_LIFETIME = timedelta(hours=24)
INSERT_CHUNK = 1000  # ids per UPDATE … WHERE id IN (…)


@dataclass(frozen=True)
class ImportResult:
    """A dry run or a commit: the kept plan's row, and whether this call applied it."""

    row: RosterImport
    applied: bool = False


async def dry_run(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    mode: str,
    file: IO[bytes],
) -> ImportResult:
    """Read the file, plan it against the roster and keep the plan for `commit`."""
    require_admin(actor, institution_id, field="institution")
    if mode not in MODES:
        raise ValidationFailed("roster_mode_invalid", field="mode")
    today = await institution_today(db, institution_id)
    digest = await asyncio.to_thread(sha256_of, file)
    rows = await asyncio.to_thread(read_roster, file, today=today)
    async with write_transaction(db):
        plan = await make_plan(db, institution_id=institution_id, rows=rows, mode=mode, today=today)
        now = utcnow()
        # The plans of this institution that nobody committed in time hold names: gone now.
        await db.execute(
            delete(RosterImport).where(
                RosterImport.institution_id == institution_id, RosterImport.expires_at <= now
            )
        )
        kept = RosterImport(
            id=new_id(),
            institution_id=institution_id,
            created_by=actor.user_id,
            created_at=now,
            expires_at=now + PLAN_LIFETIME,
            mode=mode,
            file_sha256=digest,
            rows=rows,
            plan=plan.outcome,
            summary=plan.outcome["summary"],
        )
        db.add(kept)
    return ImportResult(kept)


async def commit(
    *,
    db: AsyncSession,
    settings: Settings,
    actor: Actor,
    import_id: uuid.UUID,
) -> ImportResult:
    """Apply a dry run's plan exactly, in one transaction; refused when the roster changed
    since (plan again), when the plan has errors or has expired. A commit retried after it
    succeeded answers as the first did and changes nothing."""
    async with write_transaction(db):
        kept = await db.get(RosterImport, import_id, with_for_update=True)
        if kept is None or not actor.is_admin(kept.institution_id):
            raise NotFound(field="id")
        if kept.committed_at is not None:
            return ImportResult(kept)
        if kept.expires_at <= utcnow():
            raise Conflict("roster_import_expired", field="id")
        if kept.summary.get("error"):
            raise ValidationFailed(
                "roster_import_has_errors", field="id", count=kept.summary["error"]
            )
        # One import at a time per institution (PostgreSQL; SQLite writes one at a time anyway).
        await db.execute(
            select(Institution.id).where(Institution.id == kept.institution_id).with_for_update()
        )
        today = await institution_today(db, kept.institution_id)
        plan = await make_plan(
            db, institution_id=kept.institution_id, rows=kept.rows, mode=kept.mode, today=today
        )
        if plan.outcome != kept.plan:
            raise Conflict("roster_import_stale", field="id")
        await _apply(db, settings, actor, kept.institution_id, plan, today)
        kept.committed_at = utcnow()
    return ImportResult(kept, applied=True)


async def _insert(db: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """Rows of one shape as multi-row INSERTs from one cached compilation (SQLAlchemy's
    "insertmanyvalues", which RETURNING turns on; a plain executemany runs per row on
    asyncpg), through the table: the ORM's bulk path costs ten times as much per row."""
    if rows:
        table = model.__table__
        await db.execute(insert(table).returning(table.c.id), rows)


async def _apply(
    db: AsyncSession,
    settings: Settings,
    actor: Actor,
    institution_id: uuid.UUID,
    plan: Plan,
    today: date,
) -> None:
    now = utcnow()
    user_ids: dict[str, uuid.UUID] = {}
    new_users = []
    for key, person in plan.new_users.items():
        user_ids[key] = new_id()
        new_users.append(
            {
                **person,
                "id": user_ids[key],
                "preferred_language": "da",
                "password_hash": None,
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
        )
    await _insert(db, User, new_users)
    child_ids: dict[str, uuid.UUID] = {}
    new_children = []
    for external_id, child in plan.new_children.items():
        child_ids[external_id] = new_id()
        new_children.append(
            {
                **child,
                "id": child_ids[external_id],
                "is_protected": False,
                "active_until": None,
                "created_at": now,
                "updated_at": now,
            }
        )
    await _insert(db, Child, new_children)
    if plan.child_updates:
        await db.execute(update(Child), [{**u, "updated_at": now} for u in plan.child_updates])
    ends = plan.ends
    for start in range(0, len(ends), INSERT_CHUNK):
        await db.execute(
            update(Child)
            .where(Child.id.in_(ends[start : start + INSERT_CHUNK]))
            .values(active_until=today, updated_at=now)
        )
    await _insert(
        db,
        GuardianLink,
        [
            {
                "id": new_id(),
                "institution_id": link["institution_id"],
                "child_id": child_ids.get(link["child"], link["child"]),
                "user_id": user_ids.get(link["user"], link["user"]),
                "relation": link["relation"],
                "has_custody": link["has_custody"],
                "access": link["access"],
                "created_at": now,
                "updated_at": now,
            }
            for link in plan.new_links
        ],
    )
    if plan.link_updates:
        await db.execute(
            update(GuardianLink), [{**u, "updated_at": now} for u in plan.link_updates]
        )
    if plan.welcome:
        await invitations.welcome_many(
            db=db,
            settings=settings,
            institution_id=institution_id,
            users={
                user_ids[ref] if isinstance(ref, str) else ref: told
                for ref, told in plan.welcome.items()
            },
            role="guardian",
            invited_by=actor.user_id,
            created=user_ids.values(),
        )
    if plan.reach_changed:
        await guardian_reach_changed(db, institution_id, sorted(plan.reach_changed))


async def purge_expired_imports(
    *, db: AsyncSession, storage: Any, institution_id: uuid.UUID, now: datetime
) -> int:
    """Dry runs past their 24 hours go (they hold the file's names and addresses), committed
    ones too: what they did is in the roster itself."""
    async with write_transaction(db):
        result = await db.execute(
            delete(RosterImport).where(
                RosterImport.institution_id == institution_id, RosterImport.expires_at <= now
            )
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def export_rows(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID
) -> tuple[list[Any], dict[uuid.UUID, list[Any]]]:
    """The institution's children on the roster today or later, with their group's name, and
    their guardian links with the person's name and contact (custody first): for the export."""
    require_admin(actor, institution_id, field="institution")
    today = await institution_today(db, institution_id)
    children = (
        await db.execute(
            select(
                Child.id,
                Child.external_id,
                Child.first_name,
                Child.last_name,
                Child.birth_date,
                Child.active_from,
                Group.name.label("group_name"),
            )
            .outerjoin(Group, Group.id == Child.group_id)
            .where(
                Child.institution_id == institution_id,
                (Child.active_until.is_(None)) | (Child.active_until >= today),
            )
            .order_by(Child.last_name, Child.first_name, Child.id)
        )
    ).all()
    links: dict[uuid.UUID, list[Any]] = {}
    for link in (
        await db.execute(
            select(
                GuardianLink.child_id,
                GuardianLink.relation,
                GuardianLink.has_custody,
                GuardianLink.access,
                User.name,
                User.email,
                User.phone,
            )
            .join(User, User.id == GuardianLink.user_id)
            .where(GuardianLink.institution_id == institution_id)
            .order_by(GuardianLink.has_custody.desc(), GuardianLink.created_at, User.email_key)
        )
    ).all():
        links.setdefault(link.child_id, []).append(link)
    return list(children), links

"""A roster's plan: what importing the read rows would do to the institution's roster as it is
now, per row (create, update, unchanged, error) and for children a full roster leaves out
(end). The same function plans the dry run and, again, the commit: a commit applies only a
plan equal to its dry run's.

Bounded statements whatever the file's size: the institution's groups, children and guardian
links in one statement each, the file's e-mail addresses in chunks of CHUNK."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.institutions.models import Child, Group, GuardianLink

CHUNK = 1000
FULL, PARTIAL = "full", "partial"
MODES = (FULL, PARTIAL)


@dataclass
class Plan:
    """`outcome` is what the admin sees and what a commit compares (JSON, no new IDs); the
    rest is what applying it writes."""

    outcome: dict[str, Any]
    new_users: dict[str, dict[str, Any]] = field(default_factory=dict)  # by e-mail key
    new_children: dict[str, dict[str, Any]] = field(default_factory=dict)  # by external id
    child_updates: list[dict[str, Any]] = field(default_factory=list)
    # child: an existing child's id or a new one's external id; user: id or e-mail key
    new_links: list[dict[str, Any]] = field(default_factory=list)
    link_updates: list[dict[str, Any]] = field(default_factory=list)
    ends: list[uuid.UUID] = field(default_factory=list)
    # existing people newly linked (by id) and new ones (by e-mail key): welcomed once each
    welcome: dict[uuid.UUID | str, bool] = field(default_factory=dict)
    reach_changed: set[uuid.UUID] = field(default_factory=set)

    @property
    def has_errors(self) -> bool:
        return bool(self.outcome["summary"]["error"])


@dataclass
class _Roster:
    groups: dict[str, tuple[uuid.UUID, bool]]
    group_names: dict[uuid.UUID, str]
    children: dict[str, Any]  # by external id
    unnamed: dict[tuple[str, str, date], list[Any]]  # children without an external id
    links: dict[uuid.UUID, dict[str, Any]]  # child id -> e-mail key -> link row
    users: dict[str, Any]  # e-mail key -> (id, has password)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


async def _load(db: AsyncSession, institution_id: uuid.UUID, emails: set[str]) -> _Roster:
    groups: dict[str, tuple[uuid.UUID, bool]] = {}
    group_names: dict[uuid.UUID, str] = {}
    for group in (
        await db.execute(
            select(Group.id, Group.name, Group.is_active)
            .where(Group.institution_id == institution_id)
            .order_by(Group.is_active, Group.created_at)
        )
    ).all():
        groups[_fold(group.name)] = (group.id, group.is_active)  # an active one wins
        group_names[group.id] = group.name
    children: dict[str, Any] = {}
    unnamed: dict[tuple[str, str, date], list[Any]] = {}
    for child in (
        await db.execute(
            select(
                Child.id,
                Child.external_id,
                Child.first_name,
                Child.last_name,
                Child.birth_date,
                Child.group_id,
                Child.active_from,
                Child.active_until,
            ).where(Child.institution_id == institution_id)
        )
    ).all():
        if child.external_id is not None:
            children[child.external_id] = child
        else:
            key = (_fold(child.first_name), _fold(child.last_name), child.birth_date)
            unnamed.setdefault(key, []).append(child)
    links: dict[uuid.UUID, dict[str, Any]] = {}
    for link in (
        await db.execute(
            select(
                GuardianLink.id,
                GuardianLink.child_id,
                GuardianLink.user_id,
                GuardianLink.relation,
                GuardianLink.has_custody,
                GuardianLink.access,
                User.email_key,
            )
            .join(User, User.id == GuardianLink.user_id)
            .where(GuardianLink.institution_id == institution_id)
        )
    ).all():
        links.setdefault(link.child_id, {})[link.email_key] = link
    users: dict[str, Any] = {}
    wanted = sorted(emails)
    for start in range(0, len(wanted), CHUNK):
        for user in (
            await db.execute(
                select(
                    User.id, User.email_key, User.password_hash.is_not(None).label("known")
                ).where(User.email_key.in_(wanted[start : start + CHUNK]))
            )
        ).all():
            users[user.email_key] = user
    return _Roster(groups, group_names, children, unnamed, links, users)


def _summary(rows: list[dict[str, Any]], ends: int, plan: Plan) -> dict[str, int]:
    counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
    for row in rows:
        counts[row["action"]] += 1
    return {
        "rows": len(rows),
        **counts,
        "end": ends,
        "new_people": len(plan.new_users),
        "invitations": sum(1 for told in plan.welcome.values() if not told),
        "told": sum(1 for told in plan.welcome.values() if told),
    }


async def make_plan(
    db: AsyncSession,
    *,
    institution_id: uuid.UUID,
    rows: list[dict[str, Any]],
    mode: str,
    today: date,
) -> Plan:
    """What importing `rows` (app.institutions.roster.service.rows) would do now."""
    emails = {g["email_key"] for r in rows for g in r["guardians"] if g["email_key"]}
    roster = await _load(db, institution_id, emails)
    plan = Plan(outcome={})
    outcomes = [_plan_row(plan, roster, row, institution_id, today) for row in rows]
    ended: list[dict[str, Any]] = []
    if mode == FULL:
        named = {row["external_id"] for row in rows if row["external_id"] is not None}
        for external_id in sorted(roster.children):
            child = roster.children[external_id]
            if external_id in named or child.active_until is not None:
                continue
            last_day = max(today, child.active_from)
            plan.ends.append(child.id)
            plan.reach_changed.add(child.id)
            ended.append(
                {
                    "external_id": external_id,
                    "name": f"{child.first_name} {child.last_name}",
                    "last_day": last_day.isoformat(),
                }
            )
    plan.outcome = {
        "mode": mode,
        "rows": outcomes,
        "ends": ended,
        "summary": _summary(outcomes, len(ended), plan),
    }
    return plan


def _error(row: dict[str, Any], errors: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "line": row["line"],
        "external_id": row["external_id"],
        "action": "error",
        "changes": [],
        "errors": errors,
    }


def _plan_row(
    plan: Plan, roster: _Roster, row: dict[str, Any], institution_id: uuid.UUID, today: date
) -> dict[str, Any]:
    if row["errors"]:
        return _error(row, row["errors"])
    group = roster.groups.get(_fold(row["group"]))
    if group is None:
        return _error(row, [{"column": "group", "key": "roster_group_unknown"}])
    group_id, group_active = group
    if not group_active:
        return _error(row, [{"column": "group", "key": "group_inactive"}])
    birth = date.fromisoformat(row["birth_date"])
    start = date.fromisoformat(row["start_date"]) if row["start_date"] else None
    external_id: str = row["external_id"]
    child = roster.children.get(external_id)
    changes: list[str] = []
    if child is None:
        same = roster.unnamed.get((_fold(row["first_name"]), _fold(row["last_name"]), birth), [])
        if len(same) == 1:  # typed in by hand before: adopted by its external id
            child = same.pop()
            changes.append("child_external_id")
    if child is None:
        plan.new_children[external_id] = {
            "institution_id": institution_id,
            "external_id": external_id,
            "group_id": group_id,
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "birth_date": birth,
            "active_from": start or today,
        }
        action = "create"
        child_ref: uuid.UUID | str = external_id
        existing: dict[str, Any] = {}
        changes = []
    else:
        values: dict[str, Any] = {}
        if changes:
            values["external_id"] = external_id
        for column, key, new in (
            ("child_first_name", "first_name", row["first_name"]),
            ("child_last_name", "last_name", row["last_name"]),
            ("child_birth_date", "birth_date", birth),
            ("group", "group_id", group_id),
            ("start_date", "active_from", start),
        ):
            if new is not None and getattr(child, key) != new:
                values[key] = new
                changes.append(column)
        if child.active_until is not None and child.active_until < today:
            values["active_until"] = None  # back on the roster
            changes.append("end_date")
        until = values.get("active_until", child.active_until)
        if until is not None and values.get("active_from", child.active_from) > until:
            return _error(row, [{"column": "start_date", "key": "period_order"}])
        if "group_id" in values or "active_until" in values:
            plan.reach_changed.add(child.id)
        if values:
            plan.child_updates.append({"id": child.id, **values})
        action = "update" if changes else "unchanged"
        child_ref = child.id
        existing = roster.links.get(child.id, {})
    guardians = []
    for guardian in row["guardians"]:
        guardians.append(
            _plan_guardian(plan, roster, guardian, child_ref, existing, institution_id)
        )
    if action == "unchanged" and any(g["action"] != "unchanged" for g in guardians):
        action = "update"
    return {
        "line": row["line"],
        "external_id": external_id,
        "action": action,
        "changes": changes,
        "guardians": guardians,
        "errors": [],
    }


def _plan_guardian(
    plan: Plan,
    roster: _Roster,
    guardian: dict[str, Any],
    child_ref: uuid.UUID | str,
    existing: dict[str, Any],
    institution_id: uuid.UUID,
) -> dict[str, Any]:
    key: str = guardian["email_key"]
    slot = guardian["slot"]
    wanted = {
        "relation": guardian["relation"],
        "has_custody": guardian["custody"],
        "access": guardian["access"],
    }
    link = existing.get(key)
    if link is not None:
        values = {k: v for k, v in wanted.items() if getattr(link, k) != v}
        if not values:
            return {"slot": slot, "action": "unchanged", "changes": []}
        plan.link_updates.append({"id": link.id, **values})
        if "access" in values or "has_custody" in values:
            plan.reach_changed.add(link.child_id)
        columns = {"relation": "relation", "has_custody": "custody", "access": "access"}
        return {
            "slot": slot,
            "action": "update",
            "changes": [f"guardian{slot}_{columns[k]}" for k in values],
        }
    user = roster.users.get(key)
    user_ref: uuid.UUID | str
    if user is not None:
        user_ref = user.id
        plan.welcome[user.id] = bool(user.known)
        action = "link"
    else:
        user_ref = key
        plan.new_users.setdefault(
            key,
            {
                "name": guardian["name"],
                "email": guardian["email"],
                "email_key": key,
                "phone": guardian["phone"],
            },
        )
        plan.welcome[key] = False
        action = "invite"
    plan.new_links.append(
        {"institution_id": institution_id, "child": child_ref, "user": user_ref, **wanted}
    )
    return {"slot": slot, "action": action, "changes": []}

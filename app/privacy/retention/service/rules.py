"""The retention rules the slices contribute, and what a rule is given and reports.

Each slice that keeps a kind of a child's data registers one rule for it
(`register_retention_rule`) from its own service module: this slice is lower in the import
order than most of them, so the registrations point upward, as notifications' badge counter
does. A rule runs per institution in that institution's tenant scope; it deletes (or
anonymises) in batches and leaves alone everything a legal hold in force covers, and says so
in its report."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.institutions.models import Child
from app.institutions.service.settings import InstitutionSettings, months_before
from app.privacy.retention.models import LegalHold
from app.storage import ObjectStorage


@dataclass(frozen=True)
class Kept:
    """Something a rule would have deleted, kept because of a hold in force."""

    hold_id: uuid.UUID
    reason: str
    subject: str  # "child" or "thread"
    subject_id: uuid.UUID


@dataclass
class KindReport:
    deleted: int = 0
    anonymised: int = 0
    kept: list[Kept] = field(default_factory=list)
    failed: int = 0  # institutions where the rule failed (logged)
    told: int = 0  # people told by e-mail that something of theirs will go

    def add(self, other: KindReport) -> None:
        self.deleted += other.deleted
        self.anonymised += other.anonymised
        self.kept.extend(other.kept)
        self.failed += other.failed
        self.told += other.told


@dataclass(frozen=True)
class HoldRef:
    id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class Holds:
    """The institution's holds in force, by subject (the first hold placed on a subject is
    the one a report names; more may rest on it)."""

    children: dict[uuid.UUID, HoldRef] = field(default_factory=dict)
    threads: dict[uuid.UUID, HoldRef] = field(default_factory=dict)

    @classmethod
    async def in_force(cls, db: AsyncSession, institution_id: uuid.UUID) -> Holds:
        rows = (
            await db.execute(
                select(LegalHold.id, LegalHold.reason, LegalHold.child_id, LegalHold.thread_id)
                .where(LegalHold.institution_id == institution_id, LegalHold.released_at.is_(None))
                .order_by(LegalHold.placed_at)
            )
        ).all()
        holds = cls()
        for row in rows:
            ref = HoldRef(row.id, row.reason)
            if row.child_id is not None:
                holds.children.setdefault(row.child_id, ref)
            elif row.thread_id is not None:
                holds.threads.setdefault(row.thread_id, ref)
        return holds

    def kept_children(self, ids: Collection[uuid.UUID]) -> list[Kept]:
        return [
            Kept(self.children[i].id, self.children[i].reason, "child", i)
            for i in sorted(set(ids))
            if i in self.children
        ]

    def kept_threads(self, ids: Collection[uuid.UUID]) -> list[Kept]:
        return [
            Kept(self.threads[i].id, self.threads[i].reason, "thread", i)
            for i in sorted(set(ids))
            if i in self.threads
        ]


@dataclass(frozen=True)
class RuleRun:
    """What a rule works with: one institution, in its own tenant scope."""

    db: AsyncSession
    storage: ObjectStorage
    institution_id: uuid.UUID
    now: datetime
    settings: InstitutionSettings
    holds: Holds

    def last_day_before(self, months: int) -> date:
        """A child whose last day is before this has been gone longer than `months`."""
        return months_before(self.now, months).date()

    async def departed(self, months: int) -> tuple[list[uuid.UUID], list[Kept]]:
        """The children who left more than `months` ago and are not held (to go), and the
        holds that keep the others."""
        ids = (
            await self.db.scalars(
                select(Child.id)
                .where(
                    Child.institution_id == self.institution_id,
                    Child.active_until < self.last_day_before(months),
                )
                .order_by(Child.id)
            )
        ).all()
        held = [i for i in ids if i in self.holds.children]
        return [i for i in ids if i not in self.holds.children], self.holds.kept_children(held)


RetentionRule = Callable[[RuleRun], Awaitable[KindReport]]
# kind -> rule, in the order registered; the run applies them in KIND_ORDER first.
_rules: dict[str, RetentionRule] = {}
# The child record's rule anonymises the child itself: it runs after every other kind.
KIND_ORDER = (
    "messages",
    "announcements",
    "photos",
    "day entries",
    "attendance",
    "pickup",
    "child record",
)


def register_retention_rule(kind: str) -> Callable[[RetentionRule], RetentionRule]:
    def register(rule: RetentionRule) -> RetentionRule:
        _rules[kind] = rule
        return rule

    return register


def registered_rules() -> list[tuple[str, RetentionRule]]:
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return sorted(_rules.items(), key=lambda item: order.get(item[0], len(order)))


def chunks(ids: list[uuid.UUID], size: int = 500) -> list[list[uuid.UUID]]:
    """Batches for `IN (...)`: bounded statements, whatever the number of children."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]

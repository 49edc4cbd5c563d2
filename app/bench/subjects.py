"""Who and what the bench's HTTP mode and RLS rows measure, found in the seeded bench database
(so that `seddel bench --http` can run on its own after one full `seddel bench`): the first
institution's admin and first group, and the guardian of that group whose inbox the messaging
bench filled, with their child and their busiest thread."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True)
class Subjects:
    admin_email: str
    admin_id: uuid.UUID
    institution_id: uuid.UUID
    group_id: uuid.UUID
    guardian_email: str
    guardian_id: uuid.UUID
    guardian_tenants: tuple[uuid.UUID, ...]
    child_id: uuid.UUID
    thread_id: uuid.UUID


class NotSeeded(RuntimeError):
    def __init__(self) -> None:
        super().__init__("the bench database is not seeded: run `seddel bench` once first")


async def find_subjects(owner: AsyncEngine) -> Subjects:
    async with owner.connect() as c:
        admin = (
            await c.execute(
                text(
                    "SELECT u.id, u.email_key, a.institution_id FROM users u"
                    " JOIN admin_memberships a ON a.user_id = u.id"
                    " WHERE u.email_key = 'admin0@bench.example'"
                )
            )
        ).first()
        if admin is None:
            raise NotSeeded()
        admin_id, admin_email, institution_id = admin
        group_id = (
            await c.execute(
                text("SELECT id FROM groups WHERE institution_id = :i ORDER BY name LIMIT 1"),
                {"i": institution_id},
            )
        ).scalar_one()
        guardian = (
            await c.execute(
                text(
                    "SELECT u.id, u.email_key FROM message_participants p"
                    " JOIN users u ON u.id = p.user_id"
                    " WHERE p.institution_id = :i AND p.role = 'guardian'"
                    " GROUP BY u.id, u.email_key ORDER BY count(*) DESC, u.email_key LIMIT 1"
                ),
                {"i": institution_id},
            )
        ).first()
        if guardian is None:
            raise NotSeeded()
        guardian_id, guardian_email = guardian
        tenants = tuple(
            (
                await c.execute(
                    text(
                        "SELECT DISTINCT institution_id FROM guardian_links WHERE user_id = :u"
                        " ORDER BY institution_id"
                    ),
                    {"u": guardian_id},
                )
            ).scalars()
        )
        child_id = (
            await c.execute(
                text("SELECT min(child_id::text)::uuid FROM guardian_links WHERE user_id = :u"),
                {"u": guardian_id},
            )
        ).scalar_one()
        thread_id = (
            await c.execute(
                text(
                    "SELECT m.thread_id FROM messages m JOIN message_participants p"
                    " ON p.thread_id = m.thread_id AND p.user_id = :u"
                    " GROUP BY m.thread_id ORDER BY count(*) DESC, m.thread_id LIMIT 1"
                ),
                {"u": guardian_id},
            )
        ).scalar_one()
    return Subjects(
        admin_email=admin_email,
        admin_id=admin_id,
        institution_id=institution_id,
        group_id=group_id,
        guardian_email=guardian_email,
        guardian_id=guardian_id,
        guardian_tenants=tenants,
        child_id=child_id,
        thread_id=thread_id,
    )

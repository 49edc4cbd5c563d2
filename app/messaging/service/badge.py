"""The badge on a device's app icon: the user's unread count, as the inbox counts it
(app.messaging.service.inbox.unread_total, the one unread rule), registered with the push
fan-out (app.notifications.service.devices), which may not import messaging."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import Uuid, literal, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.institutions.service.actor import actors_of_users
from app.messaging.service.inbox import unread_total
from app.notifications.service.devices import register_badge_counter

# Users per statement: SQLite allows 500 terms in one compound SELECT; a worker's round holds
# at most its batch (100) anyway, so this is one statement in practice.
USERS_PER_STATEMENT = 250


@register_badge_counter
async def unread_badges(db: AsyncSession, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Each user's unread messages across their institutions: the actors in three statements,
    then one UNION ALL of every user's own unread count (the inbox's statement, unchanged)."""
    actors = list((await actors_of_users(db, user_ids)).values())
    counts: dict[uuid.UUID, int] = {}
    for start in range(0, len(actors), USERS_PER_STATEMENT):
        chunk = actors[start : start + USERS_PER_STATEMENT]
        parts = [
            unread_total(actor).add_columns(literal(actor.user_id, Uuid).label("user_id"))
            for actor in chunk
        ]
        statement = parts[0] if len(parts) == 1 else union_all(*parts)
        for count, user_id in (await db.execute(statement)).all():
            counts[user_id] = int(count or 0)
    return counts

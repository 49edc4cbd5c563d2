"""The badge on a device's app icon: the user's unread count, as the inbox counts it
(app.messaging.service.inbox.unread_total, the one unread rule), registered with the push
fan-out (app.notifications.service.devices), which may not import messaging."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Hashable
from typing import cast

from sqlalchemy import Uuid, column, literal, select, union_all, values
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.shapes import ShapedActor, shape_of
from app.institutions.service.actor import actors_of_users
from app.messaging.service.inbox import unread_total
from app.notifications.service.devices import register_badge_counter

# Users per statement: SQLite allows 500 terms in one compound SELECT; a worker's round holds
# at most its batch (100) anyway, so this is one statement in practice.
USERS_PER_STATEMENT = 250


@register_badge_counter
async def unread_badges(db: AsyncSession, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Each user's unread messages across their institutions: the actors in three statements,
    then one statement of the inbox's own count (`unread_total`, unchanged) for all of them."""
    actors = list((await actors_of_users(db, user_ids)).values())
    if not actors:
        return {}
    if db.get_bind().dialect.name == "postgresql":
        return await _by_shape(db, actors)
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


async def _by_shape(db: AsyncSession, actors: list[Actor]) -> dict[uuid.UUID, int]:
    """The count built once per shape of actor (app.core.shapes) over a VALUES list of that
    shape's actors, one row each: PostgreSQL plans a part per shape, not per user."""
    by_shape: dict[Hashable, list[Actor]] = {}
    for actor in actors:
        by_shape.setdefault(shape_of(actor, sizes=False), []).append(actor)
    parts = []
    for group in by_shape.values():
        shaped = ShapedActor(group[0], rows="badge_actor")
        count = unread_total(cast(Actor, shaped)).scalar_subquery()
        assert shaped.user_id is not None  # a user's actor has an id
        user_id = shaped.user_id.bind()
        parameters = shaped.parameters
        names = list(parameters.derive)
        rows = values(
            *(column(name, parameters.types[name]) for name in names), name="badge_actor"
        ).data([tuple(parameters.values_for(actor)[name] for name in names) for actor in group])
        parts.append(select(user_id.label("user_id"), count.label("unread")).select_from(rows))
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    return {row.user_id: int(row.unread or 0) for row in (await db.execute(statement)).all()}

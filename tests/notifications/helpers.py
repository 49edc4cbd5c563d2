"""Reading the outbox in tests: through the system scope, as the worker does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.core.system_scope import all_institutions_session
from app.notifications.models import OutboxEntry


async def outbox(runtime, **where: Any) -> list[OutboxEntry]:
    async with all_institutions_session(runtime.sessions) as db:
        statement = select(OutboxEntry).order_by(OutboxEntry.created_at, OutboxEntry.id)
        for name, value in where.items():
            statement = statement.where(getattr(OutboxEntry, name) == value)
        rows = list((await db.scalars(statement)).all())
        await db.commit()
        return rows


async def user_id(runtime, email: str):
    async with runtime.sessions() as db:
        return await db.scalar(select(User.id).where(User.email_key == email))

"""The one Context of a GraphQL request: who asks, their database session, loaders, storage."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from strawberry.litestar import BaseContext

from app.api.loaders import Loaders
from app.config import Settings
from app.core.actor import Actor
from app.core.runtime import Runtime
from app.db import RequestSession, end_read_transaction, end_request
from app.institutions.service import actor as institutions
from app.privacy.audit.service import recording as audit

ANONYMOUS = Actor(user_id=uuid.UUID(int=0), name="", email="", language="da")


class Context(BaseContext, kw_only=True):
    runtime: Runtime
    db: RequestSession
    request_id: str
    token: str | None = None
    client_address: str | None = None
    user_agent: str | None = None
    language: str = "da"
    # Filled in by Strawberry from a websocket's connection_init payload.
    connection_params: dict[str, Any] | None = None
    _actor: Actor | None = None
    _actor_loaded: bool = False
    _actor_task: asyncio.Task[Actor | None] | None = None
    _loaders: Loaders | None = None
    # The GraphQL operation being run (named in the audit trail of the writes it makes).
    operation_name: str = ""

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def bearer_token(self) -> str | None:
        if self.token:
            return self.token
        params = self.connection_params or {}
        raw = params.get("Authorization") or params.get("authorization") or params.get("token")
        if isinstance(raw, str):
            return raw.removeprefix("Bearer ").strip() or None
        return None

    async def actor(self) -> Actor | None:
        """The signed-in actor, loaded once per request (None when anonymous or revoked)."""
        if not self._actor_loaded:
            # Sibling fields ask at the same time: load once, and let the others wait for it.
            if self._actor_task is None:
                self._actor_task = asyncio.ensure_future(self._load_actor())
            self._actor = await asyncio.shield(self._actor_task)
            self._actor_loaded = True
            if self._actor is not None:
                self.language = self._actor.language
                # Every write this operation makes to a child's data is in the audit trail.
                audit.begin(
                    self.db,
                    actor=self._actor,
                    operation=self.operation_name,
                    request_id=self.request_id,
                )
        return self._actor

    async def _load_actor(self) -> Actor | None:
        token = self.bearer_token()
        if token is None:
            return None
        if self.db.in_transaction():
            # A websocket's earlier operation left its reads open: end them, so that this
            # operation sees what was committed since (SQLite keeps a read's snapshot).
            await end_read_transaction(self.db)
        # The first statement of the request's one transaction (app.db.end_request ends it).
        return await institutions.sign_in(db=self.db, token=token)

    async def require_actor(self) -> Actor:
        from app.api.errors import Unauthenticated

        actor = await self.actor()
        if actor is None:
            raise Unauthenticated(self.language)
        return actor

    def begin_operation(self) -> None:
        """A websocket carries many operations on one context: each one checks the session
        again (a revoked token stops working at the next operation) and gets fresh loaders."""
        self._actor = None
        self._actor_loaded = False
        self._actor_task = None
        self._loaders = None
        audit.end(self.db)

    def name_operation(self, name: str | None) -> None:
        """The operation's name, once the document is parsed (the audit trail names it)."""
        self.operation_name = name or ""
        audit.name_operation(self.db, self.operation_name)

    def reset_loaders(self) -> None:
        """Forget what the loaders cached: a subscription re-reads fresh rows per event."""
        self._loaders = None

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.db, lambda: self._actor or ANONYMOUS)
        return self._loaders


async def session_alive(context: Any) -> bool:
    """The session behind a running subscription, checked again before each event it sends
    (app.api.live.SessionRecheck): revoked, idle too long or past its lifetime is the end. A
    short session of its own, apart from the subscription's (it ends in COMMIT only when the
    check noted the session's last use)."""
    if not isinstance(context, Context):
        return True
    token = context.bearer_token()
    if token is None:
        return True  # anonymous from the start: its resolver decided what it may hear
    async with context.runtime.sessions() as db:
        alive = await institutions.sign_in(db=db, token=token) is not None
        await end_request(db)
        return alive

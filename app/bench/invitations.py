"""Invitation operations of `make bench` (app/bench/run.py): accepting an invitation, which sets
a password (argon2, as a login verifies one) and opens a session."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select, text

from app.accounts.models import Invitation
from app.accounts.service import auth as accounts
from app.accounts.service.invitations import mint_token
from app.bench.measure import COUNTED_REQUESTS, Meter, measure
from app.config import Settings
from app.core.system_scope import all_institutions_session
from app.db import write_transaction

PASSWORD = "bench-invitation-password-42"


async def run_invitations(
    post: Any,
    runtime: Any,
    owner: Any,
    meter: Meter,
    settings: Settings,
    requests: int,
    admin_token: str,
    institution_id: str,
) -> list[dict[str, Any]]:
    """The admin adds as many new staff members as the measurement accepts invitations (each
    token works once); their tokens are minted as the outbox worker mints them for the mail."""
    needed = 2 * min(COUNTED_REQUESTS, requests) + min(5, requests) + requests
    run = uuid.uuid4().hex[:8]
    emails = [f"invited-{run}-{n}@bench.example" for n in range(needed)]
    for n, email in enumerate(emails):
        body = await post(
            "AddStaff",
            {"input": {"institutionId": institution_id, "email": email, "name": f"Ny {n}"}},
            admin_token,
        )
        assert body["data"]["addStaff"]["__typename"] == "StaffMember", body
    tokens: list[str] = []
    async with all_institutions_session(runtime.sessions) as db:
        ids = (
            await db.scalars(
                select(Invitation.id)
                .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
                .order_by(Invitation.created_at)
            )
        ).all()
        async with write_transaction(db):
            for invitation_id in ids[-needed:]:
                token = await mint_token(db, invitation_id)
                assert token is not None
                tokens.append(token)
    unused = iter(tokens)
    hashes = iter([accounts.hash_token(t) for t in tokens])

    async def accept(i: int) -> None:
        body = await post("AcceptInvitation", {"token": next(unused), "password": PASSWORD})
        assert body["data"]["acceptInvitation"]["__typename"] == "LoginSuccess", body

    async def accept_floor(i: int) -> None:
        # What accepting cannot do without: find the token's person, hash the password,
        # store it and a session.
        async with owner.begin() as c:
            row = (
                await c.execute(
                    text(
                        "SELECT t.invitation_id, u.id FROM invitation_tokens t"
                        " JOIN users u ON u.id = t.user_id WHERE t.token_hash = :h"
                    ),
                    {"h": next(hashes, "")},
                )
            ).first()
            hashed = await asyncio.to_thread(accounts.hasher_for(settings).hash, PASSWORD)
            if row is not None:
                await c.execute(
                    text("UPDATE users SET password_hash = password_hash WHERE id = :u"),
                    {"u": row[1]},
                )
            assert hashed

    return [await measure("acceptInvitation", requests, accept, meter, accept_floor)]

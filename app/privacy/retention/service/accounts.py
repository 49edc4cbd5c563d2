"""Accounts left without any link: a guardian whose children have all gone (their links
removed by an admin, or by the child record's retention) keeps an account nobody needs.
Such an account (no guardian link, staff or admin membership, municipality role or pending
invitation, in any institution) is told by e-mail that it will be erased after the grace
period (SEDDEL_ACCOUNT_ERASURE_GRACE_DAYS); a link made meanwhile cancels the notice. Erased
means: name, e-mail address, phone and password gone, every session, device, second factor,
token and federated identity deleted; the row itself stays as "—", because what others wrote
names it (messages, the daily log's authors) and must keep doing so.

Runs once over all institutions (the links of every tenant decide), in batches."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, delete, exists, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.events import AccountMailRequested
from app.accounts.federation.models import FederatedIdentity, LoginCode
from app.accounts.models import (
    AccountToken,
    AuthSession,
    IdempotencyKey,
    Invitation,
    PersonalPin,
    PushDevice,
    RecoveryCode,
    SecondFactor,
    SecondFactorChallenge,
    User,
)
from app.core import events
from app.core.system_scope import all_institutions_session
from app.db import RequestSession, write_transaction
from app.institutions.models import (
    AdminMembership,
    GuardianLink,
    MunicipalityAdmin,
    StaffMembership,
)
from app.privacy.retention.models import AccountErasureNotice
from app.privacy.retention.service.rules import KindReport, chunks

ERASED = "—"
BATCH = 500
_PERSONAL: tuple[Any, ...] = (
    AuthSession,
    PushDevice,
    AccountToken,
    SecondFactor,
    RecoveryCode,
    SecondFactorChallenge,
    PersonalPin,
    FederatedIdentity,
    LoginCode,
    IdempotencyKey,
)


def unlinked(now: datetime) -> Any:
    """An active account with no link of any kind and no invitation still open."""
    return (
        User.is_active.is_(True)
        & ~exists().where(GuardianLink.user_id == User.id)
        & ~exists().where(StaffMembership.user_id == User.id)
        & ~exists().where(AdminMembership.user_id == User.id)
        & ~exists().where(MunicipalityAdmin.user_id == User.id)
        & ~exists().where(
            Invitation.user_id == User.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
    )


async def _tell(db: AsyncSession, now: datetime, grace: timedelta) -> int:
    told = 0
    while True:
        async with write_transaction(db):
            ids = list(
                (
                    await db.scalars(
                        select(User.id)
                        .where(
                            unlinked(now),
                            ~exists().where(AccountErasureNotice.user_id == User.id),
                        )
                        .order_by(User.id)
                        .limit(BATCH)
                    )
                ).all()
            )
            for user_id in ids:
                db.add(AccountErasureNotice(user_id=user_id, told_at=now, erase_after=now + grace))
                await events.record(
                    db, AccountMailRequested(kind="account_erasure", user_id=user_id)
                )
        told += len(ids)
        if len(ids) < BATCH:
            return told


async def _cancel(db: AsyncSession, now: datetime) -> None:
    """A link (or an invitation) came back before the erasure: the notice goes."""
    async with write_transaction(db):
        linked = select(User.id).where(~unlinked(now))
        await db.execute(
            delete(AccountErasureNotice).where(
                AccountErasureNotice.erased_at.is_(None),
                AccountErasureNotice.user_id.in_(linked),
            )
        )


async def _erase(db: AsyncSession, now: datetime) -> int:
    async with write_transaction(db):
        due = list(
            (
                await db.scalars(
                    select(AccountErasureNotice.user_id)
                    .join(User, User.id == AccountErasureNotice.user_id)
                    .where(
                        AccountErasureNotice.erased_at.is_(None),
                        AccountErasureNotice.erase_after <= now,
                        unlinked(now),
                    )
                    .order_by(AccountErasureNotice.user_id)
                )
            ).all()
        )
    for batch in chunks(due, BATCH):
        async with write_transaction(db):
            for model in _PERSONAL:
                await db.execute(delete(model).where(model.user_id.in_(batch)))
            # Unique per account (its id), and no address anyone can receive mail at.
            gone = literal("erased-") + cast(User.id, String) + literal("@invalid")
            await db.execute(
                update(User)
                .where(User.id.in_(batch))
                .values(
                    name=ERASED,
                    email=gone,
                    email_key=gone,
                    phone=None,
                    password_hash=None,
                    is_active=False,
                )
            )
            await db.execute(
                update(AccountErasureNotice)
                .where(AccountErasureNotice.user_id.in_(batch))
                .values(erased_at=now)
            )
    return len(due)


async def unlinked_accounts(
    *, sessions: async_sessionmaker[RequestSession], now: datetime, grace: timedelta
) -> KindReport:
    """Tell the newly unlinked, cancel the notices of the relinked, erase the due."""
    async with all_institutions_session(sessions) as db:
        await _cancel(db, now)
        erased = await _erase(db, now)
        told = await _tell(db, now, grace)
    return KindReport(deleted=erased, told=told)

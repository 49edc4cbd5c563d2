"""An account left without any link is told by e-mail (in its language, with the day) and,
after the grace period, erased: no name, address, phone, password or session, and no login;
a link made meanwhile cancels it. Everyone still linked is left alone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import AuthSession, User
from app.core.system_scope import all_institutions_session
from app.db import utcnow
from app.notifications.models import AccountEmail
from app.notifications.service.account_mail import compose
from app.privacy.retention.service.accounts import unlinked_accounts
from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import JONAS, METTE, demo

GRACE = timedelta(days=30)


async def _unlink_jonas(client) -> dict:
    d = await demo(client)
    link = d.guardian_link("Liva Holm-Jensen", JONAS)
    done = await client.gql("RemoveGuardianLink", {"guardianLinkId": link}, as_=SOLSIKKEN_ADMIN)
    assert done["removeGuardianLink"]["__typename"] != "NotFoundError", done
    return {"demo": d}


async def _run(runtime, days: int = 0):
    return await unlinked_accounts(
        sessions=runtime.sessions, now=utcnow() + timedelta(days=days), grace=GRACE
    )


async def _user(runtime, email: str) -> tuple[User, list[AccountEmail], int]:
    async with all_institutions_session(runtime.sessions) as db:
        user = (await db.scalars(select(User).where(User.email == email))).first()
        if user is None:
            user = (await db.scalars(select(User).where(User.email.like("erased-%")))).one()
        mails = (
            await db.scalars(
                select(AccountEmail).where(
                    AccountEmail.user_id == user.id, AccountEmail.kind == "account_erasure"
                )
            )
        ).all()
        sessions = len(
            (await db.scalars(select(AuthSession).where(AuthSession.user_id == user.id))).all()
        )
        return user, list(mails), sessions


async def test_an_unlinked_account_is_told_then_erased(client, runtime):
    await client.gql("Me", as_=JONAS)  # a session of his
    await _unlink_jonas(client)
    told = await _run(runtime)
    assert told.told == 1 and told.deleted == 0
    jonas, mails, _ = await _user(runtime, JONAS)
    assert len(mails) == 1
    mail = compose(mails[0], jonas, runtime.settings, token=None, new_email=None)
    day = (mails[0].created_at + timedelta(days=runtime.settings.account_erasure_grace_days)).date()
    assert mail.to_address == JONAS and mail.subject == "Din Seddel-konto bliver slettet"
    assert f"slettet {day.isoformat()}" in mail.text
    _, mette_mails, _ = await _user(runtime, METTE)
    assert mette_mails == []
    # Told once, not every day; erased when the grace period has passed.
    assert (await _run(runtime, days=29)).told == 0
    assert (await _user(runtime, JONAS))[0].name != "—"
    erased = await _run(runtime, days=31)
    assert erased.deleted == 1
    gone, _, sessions = await _user(runtime, "erased-")
    assert (gone.id, gone.name, gone.phone, gone.password_hash, gone.is_active, sessions) == (
        jonas.id,
        "—",
        None,
        None,
        False,
        0,
    )
    login = await client.execute("Login", {"email": JONAS, "password": "seddel-demo"})
    assert login["data"]["login"]["__typename"] != "LoginSuccess"
    assert (await _run(runtime, days=62)).deleted == 0


async def test_a_new_link_cancels_the_erasure(client, runtime):
    world = await _unlink_jonas(client)
    assert (await _run(runtime)).told == 1
    d = world["demo"]
    other = d.other_bjornene_family()
    relinked = await client.gql(
        "AddGuardian",
        {"input": {"childId": other["id"], "email": JONAS, "name": "Jonas", "hasCustody": False}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert relinked["addGuardian"]["__typename"] == "GuardianLink", relinked
    assert (await _run(runtime, days=31)).deleted == 0
    assert (await _user(runtime, JONAS))[0].is_active

"""Invitations through the API and a real SMTP server: a person without a password who is
added gets a mail with a single-use link; the token is read from the delivered mail."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import func, select, update

from app.accounts.models import Invitation, InvitationToken, User
from app.accounts.service import invitations
from app.accounts.service.auth import hash_token
from app.core.errors import InvalidCredentials, TooManyAttempts
from app.core.system_scope import all_institutions_session
from app.db import utcnow
from tests.conftest import is_postgres
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, child_id, group_id, institution_id
from tests.mail import text_of, token_in
from tests.notifications.helpers import outbox

PASSWORD = "lang nok adgangskode 42"
NEW_STAFF = "sofie@solsikken.example"


async def _add_staff(client, email: str = NEW_STAFF, name: str = "Sofie Dahl") -> dict:
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    bears = await group_id(client, SOLSIKKEN_ADMIN, "Bjørnene")
    made = await client.gql(
        "AddStaff",
        {"input": {"institutionId": iid, "email": email, "name": name, "groupIds": [bears]}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert made["addStaff"]["__typename"] == "StaffMember", made
    return made["addStaff"]


async def _accept(client, token: str, password: str = PASSWORD, **more) -> dict:
    data = await client.gql("AcceptInvitation", {"token": token, "password": password, **more})
    return data["acceptInvitation"]


async def _invitations(client, admin: str = SOLSIKKEN_ADMIN) -> list[dict]:
    iid = await institution_id(client, admin)
    return (await client.gql("Invitations", {"institutionId": iid}, as_=admin))["invitations"]


async def test_added_staff_is_invited_by_mail_and_gets_in_with_the_link(client, runtime, mail):
    await _add_staff(client)
    await mail.deliver(runtime)
    message = mail.inbox.last_to(NEW_STAFF)
    text = text_of(message)
    assert message["Subject"] == "Invitation til Solsikken i Seddel"
    assert "Sofie Dahl" in text and "Solsikken" in text and "medarbejder" in text
    admin_name = (await client.gql("Me", as_=SOLSIKKEN_ADMIN))["me"]["name"]
    assert admin_name in text
    token = token_in(message)
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    # Only the SHA-256 is stored, nowhere the token.
    async with all_institutions_session(runtime.sessions) as db:
        stored = (await db.scalars(select(InvitationToken.token_hash))).all()
        assert hash_token(token) in stored and token not in stored
        await db.commit()
    listed = await _invitations(client)
    assert [(i["email"], i["role"], i["status"]) for i in listed] == [
        (NEW_STAFF, "STAFF", "PENDING")
    ]

    accepted = await _accept(client, token, name="Sofie B. Dahl")
    assert accepted["__typename"] == "LoginSuccess", accepted
    me = (await client.gql("Me", token=accepted["token"]))["me"]
    assert me["email"] == NEW_STAFF and me["name"] == "Sofie B. Dahl"
    assert [g["name"] for g in me["staffedGroups"]] == ["Bjørnene"]
    # A password login works from now on.
    login = await client.gql("Login", {"email": NEW_STAFF, "password": PASSWORD})
    assert login["login"]["__typename"] == "LoginSuccess"
    assert [i["status"] for i in await _invitations(client)] == ["ACCEPTED"]


async def test_used_expired_and_revoked_tokens_get_one_answer_and_change_nothing(
    client, runtime, mail
):
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        await _add_staff(client, email=email, name=email[0].upper())
    await mail.deliver(runtime)
    used, expired, revoked = (
        token_in(mail.inbox.last_to(e)) for e in ("a@example.com", "b@example.com", "c@example.com")
    )
    assert (await _accept(client, used))["__typename"] == "LoginSuccess"
    async with all_institutions_session(runtime.sessions) as db:
        await db.execute(
            update(Invitation)
            .where(
                Invitation.user_id
                == select(User.id).where(User.email_key == "b@example.com").scalar_subquery()
            )
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await db.commit()
    listed = {i["email"]: i for i in await _invitations(client)}
    assert listed["b@example.com"]["status"] == "EXPIRED"
    gone = await client.gql(
        "RevokeInvitation", {"invitationId": listed["c@example.com"]["id"]}, as_=SOLSIKKEN_ADMIN
    )
    assert gone["revokeInvitation"]["status"] == "REVOKED"

    answers = [
        await _accept(client, t, password="noget helt andet 99")
        for t in (used, expired, revoked, "made-up")
    ]
    assert all(a["__typename"] == "InvalidCredentialsError" for a in answers)
    assert {(a["code"], a["message"], a["field"], a["reason"]) for a in answers} == {
        ("INVALID_CREDENTIALS", answers[0]["message"], "token", "INVITATION_INVALID")
    }
    # Nothing changed: the used one's password stands, the others have none.
    login = await client.gql("Login", {"email": "a@example.com", "password": PASSWORD})
    assert login["login"]["__typename"] == "LoginSuccess"
    async with runtime.sessions() as db:
        hashes = (
            await db.scalars(
                select(User.password_hash).where(
                    User.email_key.in_(["b@example.com", "c@example.com"])
                )
            )
        ).all()
        assert hashes == [None, None]
    statuses = {i["email"]: i["status"] for i in await _invitations(client)}
    assert statuses == {
        "a@example.com": "ACCEPTED",
        "b@example.com": "EXPIRED",
        "c@example.com": "REVOKED",
    }


async def test_resend_voids_the_old_link_and_starts_a_new_validity(client, runtime, mail):
    await _add_staff(client)
    await mail.deliver(runtime)
    first = token_in(mail.inbox.last_to(NEW_STAFF))
    (invitation,) = await _invitations(client)
    again = await client.gql(
        "ResendInvitation", {"invitationId": invitation["id"]}, as_=SOLSIKKEN_ADMIN
    )
    assert again["resendInvitation"]["status"] == "PENDING"
    await mail.deliver(runtime)
    assert len(mail.inbox.to(NEW_STAFF)) == 2
    second = token_in(mail.inbox.last_to(NEW_STAFF))
    assert second != first
    assert (await _accept(client, first))["reason"] == "INVITATION_INVALID"
    assert (await _accept(client, second))["__typename"] == "LoginSuccess"
    closed = await client.gql(
        "ResendInvitation", {"invitationId": invitation["id"]}, as_=SOLSIKKEN_ADMIN
    )
    assert closed["resendInvitation"]["code"] == "CONFLICT"


async def test_a_weak_password_is_refused_and_the_token_still_works(client, runtime, mail):
    await _add_staff(client)
    await mail.deliver(runtime)
    token = token_in(mail.inbox.last_to(NEW_STAFF))
    short = await _accept(client, token, password="kort")
    assert short["__typename"] == "ValidationError" and short["field"] == "newPassword"
    assert (await _accept(client, token))["__typename"] == "LoginSuccess"


async def test_a_guardian_is_invited_in_their_language_without_the_childs_data(
    client, runtime, mail
):
    liva = await child_id(client, SOLSIKKEN_ADMIN, "Liva Holm-Jensen")
    added = await client.gql(
        "AddGuardian",
        {
            "input": {
                "childId": liva,
                "email": "farmor@example.com",
                "name": "Grete Holm",
                "relation": "farmor",
            }
        },
        as_=SOLSIKKEN_ADMIN,
    )
    assert added["addGuardian"]["__typename"] == "GuardianLink"
    async with runtime.sessions() as db:
        await db.execute(
            update(User)
            .where(User.email_key == "farmor@example.com")
            .values(preferred_language="en")
        )
        await db.commit()
    await mail.deliver(runtime)
    message = mail.inbox.last_to("farmor@example.com")
    text = text_of(message)
    assert message["Subject"] == "Invitation to Solsikken on Seddel"
    assert "parent or guardian" in text and "Grete Holm" in text
    assert "Liva" not in text and "Holm-Jensen" not in text
    accepted = await _accept(client, token_in(message))
    me = (await client.gql("Me", token=accepted["token"]))["me"]
    assert [c["name"] for c in me["children"]] == ["Liva Holm-Jensen"]


async def test_someone_with_a_password_is_linked_and_told_not_invited(client, runtime, mail):
    # Mette (a guardian with a login) starts working in Regnbuen.
    iid = await institution_id(client, REGNBUEN_ADMIN)
    made = await client.gql(
        "AddStaff",
        {"input": {"institutionId": iid, "email": "mette@example.com", "name": "Mette"}},
        as_=REGNBUEN_ADMIN,
    )
    assert made["addStaff"]["__typename"] == "StaffMember"
    assert await _invitations(client, REGNBUEN_ADMIN) == []
    await mail.deliver(runtime)
    message = mail.inbox.last_to("mette@example.com")
    assert message["Subject"] == "Du har fået adgang til Regnbuen i Seddel"
    assert "token=" not in text_of(message)
    rows = await outbox(runtime, kind="membership_granted")
    assert [r.status for r in rows] == ["sent"]


async def test_failed_tokens_are_throttled_per_address(runtime, settings):
    strict = dataclasses.replace(settings, login_max_failures_per_address=3)
    async with runtime.sessions() as db:
        for _ in range(3):
            try:
                await invitations.accept(
                    db=db,
                    settings=strict,
                    token="guess",
                    password=PASSWORD,
                    name=None,
                    client_address="10.0.0.9",
                )
            except InvalidCredentials as refused:
                assert refused.reason == "INVITATION_INVALID"
        try:
            await invitations.accept(
                db=db,
                settings=strict,
                token="guess",
                password=PASSWORD,
                name=None,
                client_address="10.0.0.9",
            )
            raise AssertionError("not throttled")
        except TooManyAttempts as locked:
            assert locked.retry_after_seconds > 0


async def test_the_invitation_mail_goes_out_at_once_and_alone(client, runtime, mail):
    await _add_staff(client)
    await mail.deliver(runtime)  # no digest window: delivered in the same round
    (row,) = await outbox(runtime, kind="invitation")
    assert row.status == "sent" and row.channel == "email"
    assert row.email_message_id and ".invitation@seddel.example>" in row.email_message_id
    async with all_institutions_session(runtime.sessions) as db:
        assert await db.scalar(select(func.count()).select_from(InvitationToken)) == 1
        await db.commit()


async def test_accepting_costs_a_bounded_number_of_statements(
    client, runtime, mail, assert_max_queries
):
    await _add_staff(client)
    await mail.deliver(runtime)
    token = token_in(mail.inbox.last_to(NEW_STAFF))
    # The throttle, the token with its person, their invitations, the password, the
    # invitations marked, the tokens gone, the session, whether a second factor is enrolled
    # or required (PostgreSQL: and the scopes around that check).
    with assert_max_queries(14 if is_postgres() else 10):
        accepted = await _accept(client, token)
    assert accepted["__typename"] == "LoginSuccess"

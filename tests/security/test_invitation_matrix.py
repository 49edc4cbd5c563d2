"""The security matrix of invitations and of institutions from nothing: only an institution's
admins (and its municipality's) list, resend, revoke and appoint admins; only a municipality's
admins open and close its institutions; a token is the only way to accept, and a wrong one
gets the one INVITATION_INVALID."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.accounts.models import User
from app.core.system_scope import all_institutions_session
from app.db import write_transaction
from app.institutions.models import Institution, MunicipalityAdmin
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, group_id, institution_id
from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    empty,
    not_found,
    other_family_guardian,
)

PERNILLE = "pernille@solsikken.example"
METTE = "mette@example.com"


async def _pending_invitation(client) -> tuple[str, str]:
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    bears = await group_id(client, SOLSIKKEN_ADMIN, "Bjørnene")
    await client.gql(
        "AddStaff",
        {
            "input": {
                "institutionId": iid,
                "email": "ny@solsikken.example",
                "name": "Ny",
                "groupIds": [bears],
            }
        },
        as_=SOLSIKKEN_ADMIN,
    )
    listed = await client.gql("Invitations", {"institutionId": iid}, as_=SOLSIKKEN_ADMIN)
    return iid, listed["invitations"][0]["id"]


async def _municipality_id(runtime) -> str:
    async with all_institutions_session(runtime.sessions) as db:
        municipality = await db.scalar(
            select(Institution.municipality_id).where(Institution.name == "Solsikken")
        )
        await db.commit()
    return str(municipality)


def _cases(iid: str, invitation: str, municipality: str) -> list[Case]:
    return [
        Case("Invitations", {"institutionId": iid}, empty("invitations")),
        Case("ResendInvitation", {"invitationId": invitation}, not_found("resendInvitation")),
        Case("RevokeInvitation", {"invitationId": invitation}, not_found("revokeInvitation")),
        Case(
            "InviteAdmin",
            {"institutionId": iid, "email": "x@example.com", "name": "X"},
            not_found("inviteAdmin"),
        ),
        Case(
            "CreateInstitution",
            {"municipalityId": municipality, "name": "Skovbørnehaven"},
            not_found("createInstitution"),
        ),
        Case("CloseInstitution", {"institutionId": iid}, not_found("closeInstitution")),
    ]


async def test_only_the_institutions_admins_keep_its_invitations(client, runtime):
    iid, invitation = await _pending_invitation(client)
    municipality = await _municipality_id(runtime)
    insiders = [PERNILLE, METTE, await other_family_guardian(client)]
    # Regnbuen's admin is of the same municipality but no municipality admin: a stranger here;
    # Solsikken's own admin may not open or close institutions either.
    await assert_refused(client, _cases(iid, invitation, municipality), [*STRANGERS, *insiders])
    own = [
        c
        for c in _cases(iid, invitation, municipality)
        if "Institution" in c.operation and c.operation != "InviteAdmin"
    ]
    await assert_refused(client, own, [SOLSIKKEN_ADMIN])
    # Nothing changed.
    listed = await client.gql("Invitations", {"institutionId": iid}, as_=SOLSIKKEN_ADMIN)
    assert [i["status"] for i in listed["invitations"]] == ["PENDING"]
    me = await client.gql("Me", as_=SOLSIKKEN_ADMIN)
    assert me["me"]["institutions"][0]["institution"]["id"] == iid


async def test_without_a_live_session_nothing_is_kept_and_a_wrong_token_opens_nothing(
    client, runtime
):
    iid, invitation = await _pending_invitation(client)
    municipality = await _municipality_id(runtime)
    await assert_unauthenticated(
        client, _cases(iid, invitation, municipality), await dead_sessions(client)
    )
    for token in (None, "made-up-token"):
        payload = await client.execute(
            "AcceptInvitation",
            {"token": "x" * 43, "password": "et langt kodeord 123"},
            token=token,
        )
        assert payload["data"]["acceptInvitation"]["reason"] == "INVITATION_INVALID"


async def test_a_municipality_admin_opens_closes_and_staffs_its_institutions(client, runtime):
    municipality = await _municipality_id(runtime)
    async with runtime.sessions() as db, write_transaction(db):
        user_id = await db.scalar(select(User.id).where(User.email_key == REGNBUEN_ADMIN))
        db.add(MunicipalityAdmin(municipality_id=uuid.UUID(municipality), user_id=user_id))
    made = await client.gql(
        "CreateInstitution",
        {"municipalityId": municipality, "name": "Skovbørnehaven"},
        as_=REGNBUEN_ADMIN,
    )
    new = made["createInstitution"]
    assert new["__typename"] == "Institution", new
    twice = await client.gql(
        "CreateInstitution",
        {"municipalityId": municipality, "name": "Skovbørnehaven"},
        as_=REGNBUEN_ADMIN,
    )
    assert twice["createInstitution"]["code"] == "CONFLICT"
    invited = await client.gql(
        "InviteAdmin",
        {
            "institutionId": new["id"],
            "email": "leder@skov.example",
            "name": "Leder",
            "preferredLanguage": "en",
        },
        as_=REGNBUEN_ADMIN,
    )
    assert invited["inviteAdmin"]["__typename"] == "AdminInvited", invited
    listed = await client.gql("Invitations", {"institutionId": new["id"]}, as_=REGNBUEN_ADMIN)
    assert [(i["email"], i["role"], i["status"]) for i in listed["invitations"]] == [
        ("leder@skov.example", "ADMIN", "PENDING")
    ]
    # Solsikken's admin sees none of it and cannot close it.
    refused = [
        Case("Invitations", {"institutionId": new["id"]}, empty("invitations")),
        Case("CloseInstitution", {"institutionId": new["id"]}, not_found("closeInstitution")),
        Case(
            "InviteAdmin",
            {"institutionId": new["id"], "email": "y@example.com", "name": "Y"},
            not_found("inviteAdmin"),
        ),
    ]
    await assert_refused(client, refused, [SOLSIKKEN_ADMIN, PERNILLE, METTE])
    closed = await client.gql("CloseInstitution", {"institutionId": new["id"]}, as_=REGNBUEN_ADMIN)
    assert closed["closeInstitution"]["__typename"] == "Institution"
    listed = await client.gql("Invitations", {"institutionId": new["id"]}, as_=REGNBUEN_ADMIN)
    assert [i["status"] for i in listed["invitations"]] == ["REVOKED"]
    late = await client.gql(
        "InviteAdmin",
        {"institutionId": new["id"], "email": "z@example.com", "name": "Z"},
        as_=REGNBUEN_ADMIN,
    )
    assert late["inviteAdmin"]["code"] == "CONFLICT"

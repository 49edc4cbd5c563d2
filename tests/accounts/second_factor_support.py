"""Helpers of the second-factor tests: an authenticator app, in a few lines of pyotp."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyotp

from app.accounts.service import auth as accounts
from app.core.runtime import Runtime
from app.db import scope, write_transaction
from app.institutions.service import institution_admin
from tests.client import GraphQLClient

PASSWORD = "a long enough password"


class Authenticator:
    """The phone's app: codes of the current time step, or of the next one (within the
    server's drift window) when the current one was used already."""

    def __init__(self, provisioning_uri: str) -> None:
        self.totp = pyotp.parse_uri(provisioning_uri)
        assert isinstance(self.totp, pyotp.TOTP)
        # The code the enrolment was confirmed with: a replay of it must be refused even when
        # the clock has moved to the next time step since.
        self.confirmed = ""

    def step(self) -> int:
        return self.totp.timecode(datetime.now(UTC))

    def code(self, ahead: int = 0) -> str:
        return self.totp.generate_otp(self.step() + ahead)


async def login(client: GraphQLClient, email: str, password: str = "seddel-demo") -> Any:
    data = await client.gql("LoginWithSecondFactor", {"email": email, "password": password})
    return data["login"]


async def enrol(client: GraphQLClient, token: str) -> tuple[Authenticator, list[str]]:
    """Enrol and confirm an authenticator for the session's person: the app and the codes."""
    started = (await client.gql("EnrolSecondFactor", token=token))["enrolSecondFactor"]
    assert started["__typename"] == "SecondFactorEnrolment", started
    app = Authenticator(started["provisioningUri"])
    app.confirmed = app.code()
    confirmed = (await client.gql("ConfirmSecondFactor", {"code": app.confirmed}, token=token))[
        "confirmSecondFactor"
    ]
    assert confirmed["__typename"] == "SecondFactorConfirmed", confirmed
    return app, confirmed["recoveryCodes"]


async def verify(client: GraphQLClient, challenge: str, code: str) -> Any:
    data = await client.gql("VerifySecondFactor", {"challenge": challenge, "code": code})
    return data["verifySecondFactor"]


async def new_institution_with_admin(runtime: Runtime, email: str) -> None:
    """A fresh institution with its settings as they come (no demo changes), and its admin."""
    async with runtime.sessions() as db:
        scope(db, institution_ids=(), user_id=None)
        municipality = await institution_admin.create_municipality(db=db, name="Test Kommune")
        institution = await institution_admin.create_institution(
            db=db, municipality_id=municipality.id, name="Mælkebøtten"
        )
        async with write_transaction(db):
            user = await accounts.create_user(
                db=db, settings=runtime.settings, name="Leder", email=email, password=PASSWORD
            )
        await institution_admin.grant_admin(db=db, institution_id=institution.id, user_id=user.id)

"""`make bench`: a login with a second factor (issue 13), as an app makes it: `Login` answers
SecondFactorRequired with a challenge, `VerifySecondFactor` turns challenge and TOTP code
into the session. Both requests are one measured operation.

A TOTP code is spent once (no replay within its time step), and each measured call needs a
fresh one: every call is a person of their own, enrolled beforehand through the API. They
are guardians of the last institution, enrolled after every other operation has run, so no
other measurement logs in as one of them."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pyotp
from sqlalchemy import text

from app.accounts.service import auth as accounts
from app.bench.measure import COUNTED_REQUESTS, Meter, measure
from app.config import Settings
from app.ops.demo import DEMO_PASSWORD

Post = Callable[..., Awaitable[dict[str, Any]]]
WARM_CALLS = 5  # measure() warms with this many calls


class Phone:
    """A person's authenticator app: the next code whose time step was not used yet."""

    def __init__(self, email: str, provisioning_uri: str, used_step: int) -> None:
        self.email = email
        totp = pyotp.parse_uri(provisioning_uri)
        assert isinstance(totp, pyotp.TOTP)
        self.totp = totp
        self.used_step = used_step

    def now(self) -> int:
        return self.totp.timecode(datetime.now(UTC))

    def next_code(self) -> str:
        step = max(self.now(), self.used_step + 1)  # within the server's window of one step
        self.used_step = step
        return self.totp.generate_otp(step)


async def _enrol(post: Post, email: str) -> Phone:
    login = await post("Login", {"email": email, "password": DEMO_PASSWORD})
    token = login["data"]["login"]["token"]
    started = await post("EnrolSecondFactor", {}, token)
    uri = started["data"]["enrolSecondFactor"]["provisioningUri"]
    phone = Phone(email, uri, used_step=-1)
    code = phone.next_code()
    confirmed = await post("ConfirmSecondFactor", {"code": code}, token)
    assert confirmed["data"]["confirmSecondFactor"]["__typename"] == "SecondFactorConfirmed"
    return phone


async def run_second_factor(
    post: Post,
    owner: Any,
    meter: Meter,
    settings: Settings,
    password_hash: str,
    guardians: list[str],
    requests: int,
) -> list[dict[str, Any]]:
    calls = 2 * COUNTED_REQUESTS + WARM_CALLS + requests
    phones = [await _enrol(post, email) for email in guardians[-calls:]]
    fresh = itertools.cycle(phones)

    async def login_with_totp(_: int) -> None:
        phone = next(fresh)
        stepped = await post(
            "LoginWithSecondFactor", {"email": phone.email, "password": DEMO_PASSWORD}
        )
        challenge = stepped["data"]["login"]
        assert challenge["__typename"] == "SecondFactorRequired", challenge
        verified = await post(
            "VerifySecondFactor",
            {"challenge": challenge["challenge"], "code": phone.next_code()},
        )
        answer = verified["data"]["verifySecondFactor"]
        assert answer["__typename"] == "LoginSuccess", answer

    async def floor(i: int) -> None:
        email = phones[i % len(phones)].email
        async with owner.connect() as c:
            user_id = (
                await c.execute(text("SELECT id FROM users WHERE email_key = :e"), {"e": email})
            ).scalar_one()
            await c.execute(text("SELECT * FROM second_factors WHERE user_id = :u"), {"u": user_id})
        await asyncio.to_thread(accounts.hasher_for(settings).verify, password_hash, DEMO_PASSWORD)

    return [await measure("login totp", requests, login_with_totp, meter, floor)]

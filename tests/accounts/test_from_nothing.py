"""The whole way in, from an EMPTY database (no demo): `seddel bootstrap` → the first admin
accepts the invitation from the mail the SMTP server received → groups, a child, a pædagog and
two guardians invited → each accepts from their own mail → a guardian writes to the group's
staff, who read it. On SQLite a new file; on PostgreSQL a new database, migrated as the
operator would."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.core.runtime import Runtime
from app.db import create_engine, session_factory
from app.ops.bootstrap import run_bootstrap
from app.ops.migrate import migrate
from app.realtime import InProcessBroker
from app.storage import LocalStorage
from tests.client import GraphQLClient
from tests.conftest import APP_ROLE, OWNER_URL
from tests.mail import text_of, token_in
from tests.notifications.helpers import outbox

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "leder@mariehoenen.example"


@pytest.fixture
async def empty(tmp_path: Path, settings: Settings) -> AsyncIterator[Settings]:
    """Settings of a new, empty, migrated database (dropped afterwards on PostgreSQL)."""
    if OWNER_URL:
        name = f"seddel_empty_{uuid.uuid4().hex[:8]}"
        admin = create_engine(OWNER_URL)
        async with admin.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        owner_url = make_url(OWNER_URL).set(database=name).render_as_string(hide_password=False)
        app_url = make_url(owner_url).set(username=APP_ROLE).render_as_string(hide_password=False)
    else:
        owner_url = app_url = f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
    fresh = dataclasses.replace(settings, database_url=app_url, migration_database_url=owner_url)
    await asyncio.to_thread(migrate, fresh)
    try:
        yield fresh
    finally:
        if OWNER_URL:
            async with admin.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            await admin.dispose()


@pytest.fixture
async def fresh_client(
    empty: Settings, tmp_path: Path
) -> AsyncIterator[tuple[Runtime, GraphQLClient]]:
    engine = create_engine(empty.database_url)
    runtime = Runtime(
        settings=empty,
        engine=None,
        sessions=session_factory(engine),
        storage=LocalStorage(tmp_path / "media", empty.secret_key, empty.public_url),
        broker=InProcessBroker(),
    )
    try:
        async with GraphQLClient.open(runtime) as client:
            yield runtime, client
    finally:
        await engine.dispose()


async def _accept(client: GraphQLClient, message, password: str) -> str:
    data = await client.gql("AcceptInvitation", {"token": token_in(message), "password": password})
    result = data["acceptInvitation"]
    assert result["__typename"] == "LoginSuccess", result
    token: str = result["token"]
    return token


async def _accept_and_enrol(client: GraphQLClient, message, password: str) -> str:
    """An admin's first session may only enrol a second factor (required for admins by
    default): enrol, confirm with the app's first code, and the session is a full one."""
    data = await client.gql("AcceptInvitation", {"token": token_in(message), "password": password})
    result = data["acceptInvitation"]
    assert result["__typename"] == "SecondFactorEnrolmentRequired", result
    token: str = result["token"]
    refused = await client.execute("Me", token=token)
    assert "SECOND_FACTOR_ENROLMENT_REQUIRED" in str(refused["errors"])
    enrolment = (await client.gql("EnrolSecondFactor", token=token))["enrolSecondFactor"]
    code = pyotp.TOTP(enrolment["secret"]).now()
    confirmed = (await client.gql("ConfirmSecondFactor", {"code": code}, token=token))[
        "confirmSecondFactor"
    ]
    assert confirmed["__typename"] == "SecondFactorConfirmed", confirmed
    return token


async def test_from_an_empty_database_to_a_guardian_writing_to_the_staff(empty, fresh_client, mail):
    runtime, client = fresh_client
    report = await run_bootstrap(
        empty,
        municipality="Odense Kommune",
        institution="Mariehønen",
        admin_email=ADMIN,
        admin_name="Hanne Leder",
    )
    assert report.done[0] == "created municipality 'Odense Kommune'"
    assert report.done[1].startswith("created institution 'Mariehønen'")
    assert report.done[2] == f"made {ADMIN} admin; invited by e-mail"
    again = await run_bootstrap(
        empty, municipality="Odense Kommune", institution="Mariehønen", admin_email=ADMIN
    )
    assert again.done[0] == "municipality 'Odense Kommune' exists"
    assert again.done[1].startswith("institution 'Mariehønen' exists")
    assert again.done[2].startswith(f"{ADMIN} is admin already; invitation pending")
    assert len(await outbox(runtime, kind="invitation")) == 1  # not invited twice

    await mail.deliver(runtime)
    welcome = mail.inbox.last_to(ADMIN)
    assert "Mariehønen" in welcome["Subject"] and "administrator" in text_of(welcome)
    admin = await _accept_and_enrol(client, welcome, "leder-kodeord-til-mariehoenen")
    me = (await client.gql("Me", token=admin))["me"]
    (membership,) = me["institutions"]
    assert membership["roles"] == ["ADMIN"] and membership["institution"]["name"] == "Mariehønen"
    iid = membership["institution"]["id"]

    group = (
        await client.gql(
            "CreateGroup", {"institutionId": iid, "name": "Sommerfuglene"}, token=admin
        )
    )["createGroup"]
    child = (
        await client.gql(
            "CreateChild",
            {
                "input": {
                    "groupId": group["id"],
                    "firstName": "Alma",
                    "lastName": "Berg",
                    "birthDate": "2023-04-01",
                    "activeFrom": date.today().isoformat(),
                }
            },
            token=admin,
        )
    )["createChild"]
    assert child["__typename"] == "Child", child
    staff = (
        await client.gql(
            "AddStaff",
            {
                "input": {
                    "institutionId": iid,
                    "email": "ida@mariehoenen.example",
                    "name": "Ida Pædagog",
                    "groupIds": [group["id"]],
                }
            },
            token=admin,
        )
    )["addStaff"]
    assert staff["__typename"] == "StaffMember", staff
    for email, name in (("mor@example.com", "Sara Berg"), ("far@example.com", "Jens Berg")):
        link = (
            await client.gql(
                "AddGuardian",
                {"input": {"childId": child["id"], "email": email, "name": name}},
                token=admin,
            )
        )["addGuardian"]
        assert link["__typename"] == "GuardianLink", link
    pending = (await client.gql("Invitations", {"institutionId": iid}, token=admin))["invitations"]
    assert sorted((i["email"], i["role"], i["status"]) for i in pending) == [
        ("far@example.com", "GUARDIAN", "PENDING"),
        ("ida@mariehoenen.example", "STAFF", "PENDING"),
        (ADMIN, "ADMIN", "ACCEPTED"),
        ("mor@example.com", "GUARDIAN", "PENDING"),
    ]

    await mail.deliver(runtime)
    tokens = {}
    for email in ("ida@mariehoenen.example", "mor@example.com", "far@example.com"):
        message = mail.inbox.last_to(email)
        assert "Hanne Leder" in text_of(message) and "Alma" not in text_of(message)
        tokens[email] = await _accept(client, message, f"{email}-har-et-langt-kodeord")
    statuses = (await client.gql("Invitations", {"institutionId": iid}, token=admin))["invitations"]
    assert {i["status"] for i in statuses} == {"ACCEPTED"}

    mother = (await client.gql("Me", token=tokens["mor@example.com"]))["me"]
    assert [c["name"] for c in mother["children"]] == ["Alma Berg"]
    sent = (
        await client.gql(
            "StartThread",
            {
                "input": {
                    "institutionId": iid,
                    "subject": "Alma",
                    "body": "Alma bliver hentet kl. 14 i dag.",
                    "recipients": {"groupStaff": [group["id"]]},
                }
            },
            token=tokens["mor@example.com"],
        )
    )["startThread"]
    assert sent["__typename"] == "ThreadsStarted", sent
    inbox = (await client.gql("Inbox", {"first": 10}, token=tokens["ida@mariehoenen.example"]))[
        "inbox"
    ]
    assert [e["node"]["subject"] for e in inbox["edges"]] == ["Alma"]


def test_seddel_bootstrap_on_the_command_line_says_what_it_did(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    env = {"SEDDEL_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-m", "app"]
    subprocess.run([*run, "migrate"], env=env, check=True, capture_output=True)
    args = [
        "bootstrap",
        "--municipality",
        "Vejle Kommune",
        "--institution",
        "Troldehøj",
        "--admin-email",
        "leder@troldehoej.example",
    ]
    first = subprocess.run([*run, *args], env=env, check=True, capture_output=True, text=True)
    assert "created municipality 'Vejle Kommune'" in first.stdout
    assert "made leder@troldehoej.example admin; invited by e-mail" in first.stdout
    second = subprocess.run([*run, *args], env=env, check=True, capture_output=True, text=True)
    assert "created" not in second.stdout and "invitation pending" in second.stdout
    bad = subprocess.run(
        [
            *run,
            "bootstrap",
            "--municipality",
            "X",
            "--institution",
            "Y",
            "--admin-email",
            "not-an-address",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "Invalid email address" in bad.stderr

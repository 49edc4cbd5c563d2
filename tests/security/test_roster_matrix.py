"""The security matrix of the roster routes (REST): only the institution's own admins dry-run,
commit and export its roster. Another institution's admin or staff, the institution's own staff
and guardians get 404 (as for a roster that does not exist) and change nothing; no session, a
revoked one and a made-up one get 401."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from app.api.ids import decode
from app.db import scope
from app.institutions.models import Child
from app.institutions.roster.models import RosterImport
from tests.helpers import SOLSIKKEN_ADMIN, institution_id
from tests.institutions.roster.common import dry_run
from tests.security.matrix import STRANGERS, dead_sessions

PERNILLE = "pernille@solsikken.example"
METTE = "mette@example.com"
ROSTER = (
    "child_external_id;child_first_name;child_last_name;child_birth_date;group;"
    "guardian1_name;guardian1_email\n"
    "K-9;Ida;Berg;2022-02-03;Bjørnene;Åse Ærø;aase@example.dk\n"
).encode()


async def _calls(client, iid: str, plan_id: str, token: str | None) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return [
        await client.http.post(
            "/admin/roster/import",
            data={"institution": iid, "mode": "full"},
            files={"file": ("roster.csv", ROSTER, "text/csv")},
            headers=headers,
        ),
        await client.http.post(f"/admin/roster/import/{plan_id}/commit", headers=headers),
        await client.http.get(
            "/admin/roster/export.csv", params={"institution": iid}, headers=headers
        ),
        await client.http.get(
            "/admin/roster/export.xlsx", params={"institution": iid}, headers=headers
        ),
    ]


async def _written(runtime, iid: str) -> tuple[Any, ...]:
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(iid, "Institution", field="i")], user_id=None)
        return (
            await db.scalar(select(func.count()).select_from(RosterImport)),
            await db.scalar(select(func.count()).select_from(Child)),
            await db.scalar(
                select(func.count())
                .select_from(RosterImport)
                .where(RosterImport.committed_at.is_not(None))
            ),
        )


async def test_only_the_institutions_admins_import_and_export_its_roster(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    planned = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=ROSTER)
    before = await _written(runtime, iid)
    for who in (*STRANGERS, PERNILLE, METTE):
        token = await client.token_for(who)
        for response in await _calls(client, iid, planned["id"], token):
            assert response.status_code == 404, (who, response.request.url, response.text)
            assert response.json()["code"] == "NOT_FOUND"
            assert "K-9" not in response.text and "Ida" not in response.text
    for token in await dead_sessions(client):
        for response in await _calls(client, iid, planned["id"], token):
            assert response.status_code == 401, (token, response.request.url, response.text)
    assert await _written(runtime, iid) == before
    # The plan is still the admin's to commit: nothing above spent it.
    done = await client.http.post(
        f"/admin/roster/import/{planned['id']}/commit",
        headers={"Authorization": f"Bearer {await client.token_for(SOLSIKKEN_ADMIN)}"},
    )
    assert done.status_code == 200 and done.json()["applied"] is True

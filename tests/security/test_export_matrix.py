"""The security matrix of the Art. 15 export: an export is its person's only. Another
institution's admin and staff, the child's own staff and admin, the other parent (information
only) and another family see none of Mette's exports in `myDataExports`; a paired kiosk or
tablet itself can neither ask for one nor list any; no session, a revoked one and a made-up
token are UNAUTHENTICATED. The download link is the only way to the ZIP, and a link altered
to point at someone else's export is refused."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.db import utcnow
from app.ops.jobs import JobContext
from app.root.jobs import data_exports
from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import JONAS, METTE, PERNILLE, demo
from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    device_tokens,
    empty,
    not_found,
    other_family_guardian,
)


def _cases() -> list[Case]:
    return [Case("MyDataExports", {}, empty("myDataExports"))]


async def _mettes_export(client: Any, runtime: Any) -> dict[str, Any]:
    asked = await client.gql("RequestMyDataExport", {}, as_=METTE)
    assert asked["requestMyDataExport"]["__typename"] == "DataExport", asked
    context = JobContext(
        sessions=runtime.sessions, storage=runtime.storage, settings=runtime.settings, now=utcnow()
    )
    await data_exports(context)
    (ready,) = (await client.gql("MyDataExports", {}, as_=METTE))["myDataExports"]
    assert ready["state"] == "READY", ready
    export: dict[str, Any] = ready
    return export


async def test_nobody_but_its_person_sees_an_export(client, runtime):
    await _mettes_export(client, runtime)
    others = [*STRANGERS, PERNILLE, SOLSIKKEN_ADMIN, JONAS, await other_family_guardian(client)]
    await assert_refused(client, _cases(), others)


async def test_a_paired_device_itself_neither_asks_nor_lists(client, runtime):
    d = await demo(client)
    tokens = await device_tokens(client, d.institution)
    cases = [*_cases(), Case("RequestMyDataExport", {}, not_found("requestMyDataExport"))]
    await assert_refused(client, cases, [], tokens=tokens)


async def test_without_a_live_session_everything_is_unauthenticated(client, runtime):
    cases = [*_cases(), Case("RequestMyDataExport", {}, not_found("requestMyDataExport"))]
    await assert_unauthenticated(client, cases, await dead_sessions(client))


async def test_a_link_altered_to_another_export_is_refused(client, runtime):
    await _mettes_export(client, runtime)
    asked = await client.gql("RequestMyDataExport", {}, as_=PERNILLE)
    assert asked["requestMyDataExport"]["__typename"] == "DataExport", asked
    await data_exports(
        JobContext(
            sessions=runtime.sessions,
            storage=runtime.storage,
            settings=runtime.settings,
            now=utcnow(),
        )
    )
    (mine,) = (await client.gql("MyDataExports", {}, as_=PERNILLE))["myDataExports"]
    (hers,) = (await client.gql("MyDataExports", {}, as_=METTE))["myDataExports"]
    own, other = urlsplit(mine["downloadUrl"]), urlsplit(hers["downloadUrl"])
    assert (await client.http.get(f"{own.path}?{own.query}")).status_code == 200
    # Pernille's signature on Mette's key: refused.
    forged = f"{other.path}?{own.query}"
    assert parse_qs(own.query)["signature"] != parse_qs(other.query)["signature"]
    assert (await client.http.get(forged)).status_code == 403

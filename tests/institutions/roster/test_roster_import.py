"""POST /admin/roster/import and its commit: a dry run per row, a commit that does exactly what
the dry run said (or nothing), idempotent by external id; full rosters end who left."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import openpyxl
from sqlalchemy import func, select, update

from app.accounts.models import Invitation, User
from app.api.ids import decode
from app.core.runtime import Runtime
from app.db import scope, utcnow
from app.institutions.models import Child, GuardianLink
from app.institutions.roster.models import RosterImport
from app.institutions.roster.service.imports import purge_expired_imports
from app.notifications.models import OutboxEntry
from tests.helpers import SOLSIKKEN_ADMIN, institution_id
from tests.institutions.roster.common import (
    HERE,
    commit,
    commit_response,
    dry_run,
    dry_run_response,
    export_response,
    headers,
)

GOLDEN = HERE / "solsikken_semicolon_bom.csv"
HEADER = (
    "child_external_id,child_first_name,child_last_name,child_birth_date,group,start_date,"
    "guardian1_name,guardian1_email,guardian1_phone,guardian1_relation,guardian1_custody,"
    "guardian1_access,guardian2_name,guardian2_email,guardian2_phone,guardian2_relation,"
    "guardian2_custody,guardian2_access"
)


def good_rows() -> bytes:
    """The golden file without its broken rows."""
    lines = GOLDEN.read_bytes().decode("utf-8-sig").splitlines()
    kept = [line for line in lines if not line.startswith(("K-1003", "K-1005"))]
    return ("\ufeff" + "\r\n".join(kept) + "\r\n").encode()


def csv_of(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


async def state(runtime: Runtime, iid: str) -> dict[str, Any]:
    """What an import can change, as plain values."""
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(iid, "Institution", field="i")], user_id=None)
        children = {
            (c.external_id or str(c.id)): (
                c.first_name,
                c.last_name,
                c.birth_date.isoformat(),
                str(c.group_id),
                c.active_from.isoformat(),
                c.active_until.isoformat() if c.active_until else None,
            )
            for c in (await db.scalars(select(Child))).all()
        }
        links = sorted(
            (str(link.child_id), email, link.relation, link.has_custody, link.access)
            for link, email in (
                await db.execute(
                    select(GuardianLink, User.email_key).join(User, User.id == GuardianLink.user_id)
                )
            ).all()
        )
        invitations = await db.scalar(select(func.count()).select_from(Invitation))
        outbox = await db.scalar(select(func.count()).select_from(OutboxEntry))
    return {"children": children, "links": links, "invitations": invitations, "outbox": outbox}


def _stable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("id", "expiresAt", "committedAt")}


async def test_golden_file_semicolon_bom_danish_letters_and_broken_rows(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    before = await state(runtime, iid)
    body = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=GOLDEN.read_bytes())
    golden = json.loads((HERE / "solsikken_semicolon_bom.plan.json").read_text())
    assert _stable(body) == golden
    # A dry run changes nothing, and a plan with rows in error is not applied.
    assert await state(runtime, iid) == before
    refused = await commit_response(client, as_=SOLSIKKEN_ADMIN, plan_id=body["id"])
    assert refused.status_code == 422
    assert refused.json()["reason"] == "ROSTER_IMPORT_HAS_ERRORS"
    assert await state(runtime, iid) == before


async def test_messages_in_english_and_a_comma_file_without_bom(client, runtime):
    async with runtime.sessions() as db:
        await db.execute(
            update(User).where(User.email_key == SOLSIKKEN_ADMIN).values(preferred_language="en")
        )
        await db.commit()
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    body = await dry_run(
        client,
        as_=SOLSIKKEN_ADMIN,
        institution=iid,
        data=csv_of("K-1,Ida,Berg,2022-02-30,Bjørnene,,,,,,,"),
    )
    assert body["rows"][0]["errors"] == [
        {
            "column": "child_birth_date",
            "code": "ROSTER_DATE_INVALID",
            "message": "Invalid date: write 2021-03-04 or 04-03-2021.",
        }
    ]


async def test_commit_does_exactly_what_the_dry_run_said(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    before = await state(runtime, iid)
    planned = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=good_rows())
    assert planned["summary"] == {
        "rows": 3,
        "create": 3,
        "update": 0,
        "unchanged": 0,
        "error": 0,
        "end": 0,
        "newPeople": 2,
        "invitations": 2,
        "told": 1,
    }
    done = await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=planned["id"])
    assert done["applied"] is True and done["committedAt"] is not None
    assert _stable(done) | {"applied": False} == _stable(planned)
    after = await state(runtime, iid)
    created = {k: v for k, v in after["children"].items() if k not in before["children"]}
    assert set(created) == {"K-1001", "K-1002", "K-1004"}
    assert created["K-1001"][:3] == ("Søren", "Ærø", "2022-05-12")
    assert created["K-1001"][4] == "2024-08-01"
    assert created["K-1004"][:2] == ("Lærke; Sofie", "Hansen-Ødegård")
    new_links = sorted(set(after["links"]) - set(before["links"]))
    assert sorted((e, r, c, a) for _, e, r, c, a in new_links) == sorted(
        [
            ("aase.aeroe@example.dk", "mor", True, "full"),
            ("bjoern.aeroe@example.dk", "far", False, "information"),
            ("mette@example.com", "mor", True, "full"),
            ("aase.aeroe@example.dk", "mor; bonusmor", True, "full"),
        ]
    )
    # The two new people are invited (one invitation and one mail each, Åse once for her two
    # children); Mette, who has a password, is told.
    assert after["invitations"] - before["invitations"] == 2
    assert after["outbox"] - before["outbox"] == 3
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(iid, "Institution", field="i")], user_id=None)
        aase = await db.scalar(select(User).where(User.email_key == "aase.aeroe@example.dk"))
        assert aase is not None and aase.name == "Åse Ærø" and aase.phone == "+4520304050"
        assert aase.password_hash is None
        kinds = (
            await db.scalars(select(OutboxEntry.kind).where(OutboxEntry.user_id.in_([aase.id])))
        ).all()
        assert kinds == ["invitation"]


async def test_importing_the_same_file_again_changes_nothing(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    first = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=good_rows())
    await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=first["id"])
    after_first = await state(runtime, iid)
    again = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=good_rows())
    assert again["summary"]["unchanged"] == 3
    assert {r["action"] for r in again["rows"]} == {"unchanged"}
    assert again["summary"]["newPeople"] == again["summary"]["invitations"] == 0
    done = await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=again["id"])
    assert done["applied"] is True
    assert await state(runtime, iid) == after_first
    # A commit retried (a lost answer) answers as the first did and changes nothing.
    retried = await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=first["id"])
    assert retried["applied"] is False and retried["committedAt"] is not None
    assert await state(runtime, iid) == after_first


async def test_a_plan_the_roster_has_moved_past_is_refused_as_stale(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    old = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=good_rows())
    newer = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=good_rows())
    await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=newer["id"])
    before = await state(runtime, iid)
    refused = await commit_response(client, as_=SOLSIKKEN_ADMIN, plan_id=old["id"])
    assert refused.status_code == 409
    assert refused.json()["reason"] == "ROSTER_IMPORT_STALE"
    assert "prøvekørsel" in refused.json()["detail"]
    assert await state(runtime, iid) == before


async def test_an_expired_plan_is_refused(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    planned = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=good_rows())
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(iid, "Institution", field="i")], user_id=None)
        await db.execute(update(RosterImport).values(expires_at=utcnow() - timedelta(minutes=1)))
        await db.commit()
    refused = await commit_response(client, as_=SOLSIKKEN_ADMIN, plan_id=planned["id"])
    assert refused.status_code == 409
    assert refused.json()["reason"] == "ROSTER_IMPORT_EXPIRED"
    # The daily retention run removes it, with the names and addresses it held.
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(iid, "Institution", field="i")], user_id=None)
        removed = await purge_expired_imports(
            db=db, storage=None, institution_id=decode(iid, "Institution", field="i"), now=utcnow()
        )
        assert removed == 1
        assert await db.scalar(select(func.count()).select_from(RosterImport)) == 0


async def test_a_full_roster_ends_the_children_it_leaves_out_and_deletes_none(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    guardian = "Åse Ærø,aase.aeroe@example.dk,,mor,ja,,,,,,,"
    rows = [
        f"K-1,Ida,Berg,2022-02-03,Bjørnene,,{guardian}",
        f"K-2,Otto,Berg,2021-04-05,Bjørnene,,{guardian}",
    ]
    await commit(
        client,
        as_=SOLSIKKEN_ADMIN,
        plan_id=(await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=csv_of(*rows)))[
            "id"
        ],
    )
    # A partial file leaves Otto alone; a full one ends him today.
    partial = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=csv_of(rows[0]))
    assert partial["ends"] == [] and partial["summary"]["end"] == 0
    full = await dry_run(
        client, as_=SOLSIKKEN_ADMIN, institution=iid, data=csv_of(rows[0]), mode="full"
    )
    assert [(e["externalId"], e["name"]) for e in full["ends"]] == [("K-2", "Otto Berg")]
    # The demo's children, typed in by hand, have no external id: a full roster cannot speak
    # for them, and they stay.
    assert full["summary"]["end"] == 1
    await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=full["id"])
    after = await state(runtime, iid)
    assert after["children"]["K-2"][5] == full["ends"][0]["lastDay"]
    assert after["children"]["K-1"][5] is None
    again = await dry_run(
        client, as_=SOLSIKKEN_ADMIN, institution=iid, data=csv_of(rows[0]), mode="full"
    )
    assert again["summary"]["end"] == 0 and again["summary"]["unchanged"] == 1
    # Back on a later roster, Otto returns.
    back = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=csv_of(*rows))
    assert back["rows"][1]["action"] == "unchanged"  # his last day is today: not gone yet


async def test_updates_name_the_columns_and_a_hand_typed_child_is_adopted(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(iid, "Institution", field="i")], user_id=None)
        liva = (
            await db.scalars(
                select(Child).where(Child.first_name == "Liva", Child.last_name == "Holm-Jensen")
            )
        ).one()
        born = liva.birth_date.isoformat()
    row = f"K-77,Liva,{liva.last_name},{born},Myrerne,,,,,,,,,,,,,"
    planned = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=csv_of(row))
    assert planned["rows"][0]["action"] == "update"
    assert planned["rows"][0]["changes"] == ["child_external_id", "group"]
    await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=planned["id"])
    after = await state(runtime, iid)
    assert after["children"]["K-77"][0] == "Liva" and str(liva.id) not in after["children"]
    custody = csv_of(
        f"K-77,Liva,{liva.last_name},{born},Myrerne,,"
        "Mette Holm-Jensen,mette@example.com,,mor,ja,information,,,,,,"
    )
    changed = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=custody)
    assert changed["rows"][0]["guardians"] == [
        {"slot": 1, "action": "update", "changes": ["guardian1_access"]}
    ]


async def test_files_that_are_not_rosters_are_refused_whole(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    missing = await dry_run_response(
        client, as_=SOLSIKKEN_ADMIN, institution=iid, data=b"navn;gruppe\nIda;Bjornene\n"
    )
    assert missing.status_code == 422
    assert missing.json()["reason"] == "ROSTER_COLUMNS_MISSING"
    assert "child_external_id" in missing.json()["detail"]
    latin1 = csv_of("K-1,Søren,Ærø,2022-02-03,Bjørnene,,,,,,,").decode().encode("latin-1")
    not_utf8 = await dry_run_response(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=latin1)
    assert not_utf8.status_code == 422
    assert not_utf8.json()["reason"] == "ROSTER_NOT_UTF8"
    assert "CSV UTF-8" in not_utf8.json()["detail"]
    bad_mode = await dry_run_response(
        client, as_=SOLSIKKEN_ADMIN, institution=iid, data=good_rows(), mode="everything"
    )
    assert bad_mode.status_code == 400


async def test_a_dry_run_costs_the_same_statements_for_ten_rows_as_for_three_hundred(
    client, runtime, assert_max_queries
):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)

    def rows(n: int) -> bytes:
        return csv_of(
            *(
                f"K-{i},Barn{i},Berg,2022-02-03,Bjørnene,,"
                f"Forælder {i},parent{i}@example.dk,,mor,ja,,,,,,,"
                for i in range(n)
            )
        )

    await client.token_for(SOLSIKKEN_ADMIN)
    counts = []
    for n in (10, 300):
        with assert_max_queries(14) as counted:
            planned = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=rows(n))
        counts.append(counted.count)
        assert planned["summary"]["create"] == n
    assert counts[0] == counts[1]
    with assert_max_queries(30) as counted:
        await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=planned["id"])
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(iid, "Institution", field="i")], user_id=None)
        imported = select(func.count()).select_from(Child).where(Child.external_id.is_not(None))
        assert await db.scalar(imported) == 300


async def test_the_export_has_the_import_columns_and_imports_back_unchanged(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    planned = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=good_rows())
    await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=planned["id"])
    response = await export_response(
        client, as_=SOLSIKKEN_ADMIN, institution=iid, delimiter="semicolon"
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "no-store" in response.headers["cache-control"]
    assert response.content.startswith("\ufeff".encode())
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:18] == HEADER.split(",")
    soeren = next(line for line in lines if line.startswith("K-1001;"))
    assert soeren.split(";")[:12] == [
        "K-1001",
        "Søren",
        "Ærø",
        "2022-05-12",
        "Bjørnene",
        "2024-08-01",
        "Åse Ærø",
        "aase.aeroe@example.dk",
        "+4520304050",
        "mor",
        "ja",
        "full",
    ]
    assert '"Lærke; Sofie"' in response.text
    # The demo's children, typed in by hand, have no external id yet: the admin fills it in.
    imported = [lines[0], *(line for line in lines[1:] if not line.startswith(";"))]
    again = await dry_run(
        client,
        as_=SOLSIKKEN_ADMIN,
        institution=iid,
        data=("\ufeff" + "\r\n".join(imported) + "\r\n").encode(),
    )
    assert again["summary"]["rows"] == 3
    assert again["summary"]["unchanged"] == 3, again["rows"]


async def test_the_xlsx_export_holds_the_csv_rows_as_text_cells(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    planned = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=good_rows())
    await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=planned["id"])
    auth = await headers(client, SOLSIKKEN_ADMIN)
    csv_rows = list(
        csv.reader(
            io.StringIO(
                (
                    await export_response(client, as_=SOLSIKKEN_ADMIN, institution=iid)
                ).content.decode("utf-8-sig")
            )
        )
    )
    response = await client.http.get(
        "/admin/roster/export.xlsx", params={"institution": iid}, headers=auth
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response.headers["cache-control"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    cells = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells == csv_rows
    assert next(r[:3] for r in cells if r[0] == "K-1001") == ["K-1001", "Søren", "Ærø"]
    assert all(isinstance(v, str) for row in cells for v in row)


async def test_a_mixed_plan_is_what_the_commit_does_and_then_there_is_nothing_left(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    first = [
        "K-1,Ida,Berg,2022-02-03,Bjørnene,,Åse Berg,aase@example.dk,,mor,ja,,,,,,,",
        "K-2,Otto,Berg,2021-04-05,Bjørnene,,Åse Berg,aase@example.dk,,mor,ja,,,,,,,",
        "K-3,Eva,Holm,2021-06-07,Myrerne,,Ib Holm,ib@example.dk,,far,ja,,,,,,,",
    ]
    plan = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=csv_of(*first))
    await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=plan["id"])
    before = await state(runtime, iid)
    second = [
        # renamed and moved; Åse loses custody (information only); a new guardian
        "K-1,Ida Marie,Berg,2022-02-03,Myrerne,,Åse Berg,aase@example.dk,,mor,nej,information,"
        "Bo Berg,bo@example.dk,,far,ja,",
        # unchanged
        "K-2,Otto,Berg,2021-04-05,Bjørnene,,Åse Berg,aase@example.dk,,mor,ja,,,,,,,",
        # K-3 is left out of a full roster: it ends
        "K-4,Ny,Dreng,2023-01-01,Frøerne,2025-08-01,Ib Holm,ib@example.dk,,far,ja,,,,,,,",
    ]
    planned = await dry_run(
        client, as_=SOLSIKKEN_ADMIN, institution=iid, data=csv_of(*second), mode="full"
    )
    rows = {r["externalId"]: r for r in planned["rows"]}
    assert rows["K-1"]["action"] == "update"
    assert rows["K-1"]["changes"] == ["child_first_name", "group"]
    assert rows["K-1"]["guardians"] == [
        {"slot": 1, "action": "update", "changes": ["guardian1_custody", "guardian1_access"]},
        {"slot": 2, "action": "invite", "changes": []},
    ]
    assert rows["K-2"]["action"] == "unchanged"
    assert rows["K-4"]["action"] == "create"
    assert rows["K-4"]["guardians"] == [{"slot": 1, "action": "link", "changes": []}]
    assert [e["externalId"] for e in planned["ends"]] == ["K-3"]
    summary = planned["summary"]
    assert (summary["create"], summary["update"], summary["unchanged"], summary["end"]) == (
        1,
        1,
        1,
        1,
    )
    await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=planned["id"])
    after = await state(runtime, iid)
    # Exactly what the plan said, and nothing else.
    changed = {
        key for key in after["children"] if after["children"][key] != before["children"].get(key)
    }
    assert changed == {"K-1", "K-3", "K-4"}
    assert after["children"]["K-1"][0] == "Ida Marie"
    assert after["children"]["K-1"][3] != before["children"]["K-1"][3]  # another group
    assert after["children"]["K-3"][5] == planned["ends"][0]["lastDay"]
    assert after["invitations"] - before["invitations"] == 1  # Bo; Ib is invited already
    # Åse: information only for Ida, custody of Otto as before.
    aase = sorted(link[2:] for link in after["links"] if link[1] == "aase@example.dk")
    assert aase == [("mor", False, "information"), ("mor", True, "full")]
    again = await dry_run(
        client, as_=SOLSIKKEN_ADMIN, institution=iid, data=csv_of(*second), mode="full"
    )
    assert again["summary"]["unchanged"] == 3
    assert again["summary"]["end"] == again["summary"]["newPeople"] == 0


async def test_a_committed_import_is_in_the_audit_trail_as_the_admins(client, runtime):
    """The REST import writes children and custody links: the audit trail has each, as the
    admin's, under the route, as a GraphQL mutation's writes are."""
    from tests.privacy.test_audit_trail import Watch

    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    planned = await dry_run(client, as_=SOLSIKKEN_ADMIN, institution=iid, data=good_rows())
    async with Watch(runtime, client) as trail:
        await commit(client, as_=SOLSIKKEN_ADMIN, plan_id=planned["id"])
    route = "POST /admin/roster/import/{import_id:str}/commit"
    assert trail.rows, "the import's writes are audited"
    assert {(r.email, r.role, r.operation) for r in trail.rows} == {
        (SOLSIKKEN_ADMIN, "ADMIN", route)
    }
    created = sorted(
        r.after["first_name"] for r in trail.rows if (r.kind, r.action) == ("roster", "create")
    )
    assert len(created) == 3 and "Søren" in created and "Lærke; Sofie" in created, created
    links = [r for r in trail.rows if (r.kind, r.action) == ("custody", "create")]
    assert len(links) == 4, links

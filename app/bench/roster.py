"""`seddel bench --roster` (and part of `make bench`): a 10,000-row roster file (semicolon, BOM,
Danish letters, two guardians a child, siblings sharing parents) imported over HTTP into a new
institution of PostgreSQL: the dry run, its commit, and the same file again (nothing to do);
the time of each and the peak memory (the process's resident high-water mark,
and the Python heap's peak during a dry run, by tracemalloc)."""

from __future__ import annotations

import asyncio
import csv
import io
import resource
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text

from app.accounts.models import User
from app.accounts.service import auth as accounts
from app.api.ids import encode
from app.config import Settings
from app.db import create_engine, new_id, utcnow
from app.institutions.models import AdminMembership, Group, Institution, Municipality
from app.institutions.roster.service.rows import COLUMNS
from app.ops.demo import DEMO_PASSWORD
from app.ops.migrate import migrate
from app.server import build_runtime, create_app

ROWS = 10_000
GROUPS = ("Bjørnene", "Myrerne", "Frøerne", "Sommerfuglene")
FIRST = ("Søren", "Åse", "Ærlig", "Frederik", "Ida", "Øjvind", "Lærke", "Mads", "Bjørk", "Ea")
PHONES = ("+45 40 12 34 56", "+45 20 30 40 50", "+45 31 23 45 67", "40123457")
LAST = ("Ærø", "Østergård", "Brøndum", "Hansen", "Sørensen", "Møller", "Kjær", "Aagaard")


def write_roster(path: Path, rows: int, run: str) -> int:
    """The file on disk (never whole in memory); its size in bytes."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for n in range(rows):
            family = n - n % 5 if n % 5 == 4 else n  # every fifth child a younger sibling
            last = LAST[family % len(LAST)]
            writer.writerow(
                [
                    f"{run}-{n:05d}",
                    FIRST[n % len(FIRST)],
                    last,
                    f"{1 + n % 28:02d}-{1 + n % 12:02d}-{2020 + n % 5}",
                    GROUPS[n % len(GROUPS)],
                    "01-08-2025",
                    f"Åse {last}",
                    f"mor-{run}-{family}@roster.example",
                    PHONES[family % len(PHONES)],
                    "mor",
                    "ja",
                    "",
                    f"Bjørn {last}",
                    f"far-{run}-{family}@roster.example",
                    "",
                    "far",
                    "nej" if family % 7 == 0 else "ja",
                    "information" if family % 7 == 0 else "",
                ]
            )
    return path.stat().st_size


async def _institution(owner_url: str, password_hash: str, run: str) -> tuple[uuid.UUID, str]:
    owner = create_engine(owner_url)
    now = utcnow()
    municipality, institution, admin = new_id(), new_id(), new_id()
    email = f"admin-{run}@roster.example"
    stamps = {"created_at": now, "updated_at": now}
    try:
        async with owner.begin() as c:
            await c.execute(text("ALTER ROLE seddel_app LOGIN"))
            await c.execute(
                insert(Municipality), [{"id": municipality, "name": f"Roster {run}", **stamps}]
            )
            await c.execute(
                insert(Institution),
                [
                    {
                        "id": institution,
                        "municipality_id": municipality,
                        "name": f"Roster {run}",
                        "kind": "børnehave",
                        "timezone": "Europe/Copenhagen",
                        "opening_hours": {},
                        "settings": {"require_second_factor_for_admins": False},
                        "is_active": True,
                        **stamps,
                    }
                ],
            )
            await c.execute(
                insert(User),
                [
                    {
                        "id": admin,
                        "name": "Admin",
                        "email": email,
                        "email_key": email,
                        "password_hash": password_hash,
                        "preferred_language": "da",
                        "is_active": True,
                        **stamps,
                    }
                ],
            )
            await c.execute(
                insert(AdminMembership),
                [{"id": new_id(), "institution_id": institution, "user_id": admin, **stamps}],
            )
            await c.execute(
                insert(Group),
                [
                    {"id": new_id(), "institution_id": institution, "name": name, **stamps}
                    for name in GROUPS
                ],
            )
    finally:
        await owner.dispose()
    return institution, email


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run_roster(owner_url: str, app_url: str, rows: int = ROWS) -> dict[str, Any]:
    settings = Settings(database_url=app_url, migration_database_url=owner_url, log_json=True)
    await asyncio.to_thread(migrate, settings)
    run = uuid.uuid4().hex[:6]
    password_hash = await accounts.hash_password(settings, DEMO_PASSWORD)
    institution, admin = await _institution(owner_url, password_hash, run)
    results: dict[str, Any] = {"rows": rows}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        results["file_bytes"] = write_roster(path, rows, run)
        runtime = build_runtime(settings)
        app: Any = create_app(runtime=runtime)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", timeout=600
            ) as http:
                token = await _login(http, admin)
                headers = {"Authorization": f"Bearer {token}"}
                iid = encode("Institution", institution)

                async def dry_run() -> dict[str, Any]:
                    with path.open("rb") as f:
                        response = await http.post(
                            "/admin/roster/import",
                            data={"institution": iid, "mode": "full"},
                            files={"file": ("roster.csv", f, "text/csv")},
                            headers=headers,
                        )
                    assert response.status_code == 201, response.text[:500]
                    body = response.json()
                    # Only what the bench needs: 10,000 rows' answers kept alive would make
                    # every later garbage collection (and so the next import) slower.
                    return {"id": body["id"], "summary": body["summary"]}

                rss_before = _rss_mb()
                results["dry_run"] = await _timed(dry_run)
                plan = results["dry_run"]["answer"]
                assert plan["summary"]["create"] == rows, plan["summary"]

                async def commit() -> dict[str, Any]:
                    response = await http.post(
                        f"/admin/roster/import/{plan['id']}/commit", headers=headers
                    )
                    assert response.status_code == 200, response.text[:500]
                    return {"applied": response.json()["applied"]}

                results["commit"] = await _timed(commit)
                results["again"] = await _timed(dry_run)
                again = results["again"]["answer"]["summary"]
                assert again["unchanged"] == rows and again["create"] == again["update"] == 0
                results["rss_peak_mb"] = _rss_mb()
                results["rss_growth_mb"] = _rss_mb() - rss_before
                tracemalloc.start()
                await dry_run()
                results["heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1024 / 1024
                tracemalloc.stop()
                results["summary"] = plan["summary"]
        finally:
            if runtime.engine is not None:
                await runtime.engine.dispose()
    return results


async def _login(http: httpx.AsyncClient, email: str) -> str:
    query = (
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
        "{ __typename ... on LoginSuccess { token } } }"
    )
    response = await http.post(
        "/graphql", json={"query": query, "variables": {"e": email, "p": DEMO_PASSWORD}}
    )
    token: str = response.json()["data"]["login"]["token"]
    return token


async def _timed(call: Any) -> dict[str, Any]:
    start = time.perf_counter()
    answer = await call()
    return {"seconds": time.perf_counter() - start, "answer": answer}


def print_roster(results: dict[str, Any]) -> None:
    out = io.StringIO()
    rows = results["rows"]
    out.write(
        f"Roster import over HTTP, {rows} rows ({results['file_bytes'] / 1e6:.1f} MB, "
        "semicolon + BOM, two guardians a child), PostgreSQL\n"
    )
    for key, label in (
        ("dry_run", "dry run (plan)"),
        ("commit", "commit (re-plan + apply)"),
        ("again", "same file again (dry run)"),
    ):
        out.write(f"  {label:<28} {results[key]['seconds']:7.2f} s\n")
    total = results["dry_run"]["seconds"] + results["commit"]["seconds"]
    out.write(f"  {'dry run + commit':<28} {total:7.2f} s  (limit 30 s)\n")
    summary = results["summary"]
    out.write(
        f"  created {summary['create']} children, {summary['newPeople']} people invited "
        f"({summary['invitations']} invitations)\n"
    )
    out.write(
        f"  peak memory: resident {results['rss_peak_mb']:.0f} MB (grew "
        f"{results['rss_growth_mb']:.0f} MB in the import), Python heap during a dry run "
        f"{results['heap_peak_mb']:.0f} MB\n"
    )
    print(out.getvalue(), end="")

"""`seddel bench --http`: throughput the way clients feel it. The real server (`seddel serve`,
production mode, one worker, trusted documents by name) runs as a subprocess against the
seeded bench database; each hot read is driven over HTTP/1.1 keep-alive connections at a fixed
concurrency for a fixed time. Printed per operation: requests/s, p50 and p99 latency, and the
CPU the server process used (100 % = one core). The load generator is a few raw sockets with
the request bytes built once, so that it costs the 2-core machine little."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.bench.gallery import remove_day_photos, seed_day_photos
from app.bench.served import free_port
from app.bench.subjects import Subjects, find_subjects
from app.config import Settings
from app.ops.demo import DEMO_PASSWORD
from app.storage import create_storage

ROOT = Path(__file__).resolve().parents[2]
CONCURRENCY = 8


@dataclass(frozen=True)
class Operation:
    name: str
    document: str
    variables: dict[str, Any]
    token: str


def _global_id(type_name: str, value: object) -> str:
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()


def operations(subjects: Subjects, guardian_token: str, admin_token: str) -> list[Operation]:
    return [
        Operation("inbox", "Inbox", {"first": 20}, guardian_token),
        Operation(
            "groupDay", "GroupDay", {"groupId": _global_id("Group", subjects.group_id)}, admin_token
        ),
        Operation(
            "childDay",
            "ChildDay",
            {"child": _global_id("Child", subjects.child_id), "date": date.today().isoformat()},
            guardian_token,
        ),
        Operation(
            "thread",
            "ThreadMessagesPage",
            {"id": _global_id("Thread", subjects.thread_id), "first": 50},
            guardian_token,
        ),
        Operation("me", "Me", {}, guardian_token),
    ]


def _request_bytes(port: int, operation: Operation) -> bytes:
    body = json.dumps({"operationName": operation.document, "variables": operation.variables})
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {operation.token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body.encode())}\r\n\r\n"
    )
    return head.encode() + body.encode()


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError("the server answered without Content-Length")
    return status, await reader.readexactly(length)


async def _drive(port: int, request: bytes, seconds: float) -> tuple[list[float], int]:
    """CONCURRENCY connections, each sending the request again as soon as it is answered."""
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status, body = await _exchange(reader, writer, request)
                latencies.append(time.perf_counter() - started)
                if status != 200 or b'"errors"' in body:
                    failures += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return latencies, failures


def _cpu_seconds(pid: int | str, proc: Path = Path("/proc")) -> float | None:
    try:
        fields = (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds(proc: Path = Path("/proc")) -> float | None:
    """The CPU every PostgreSQL process on this machine has used (its backends, the WAL
    writer…), or None where there is none to read (the database runs elsewhere). On one
    machine the server and the database share its cores: what a request costs is both."""
    total, found = 0.0, False
    for process in proc.glob("[0-9]*"):
        try:
            name = (process / "comm").read_text().strip()
        except OSError:
            continue  # ended meanwhile
        if not (name.startswith("postgres") or name.startswith("postmaster")):
            continue
        used = _cpu_seconds(process.name, proc)
        if used is not None:
            total, found = total + used, True
    return total if found else None


async def _wait_ready(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        for _ in range(240):
            if server.poll() is not None:
                break
            try:
                if (await http.get("/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.25)
    tail = log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"the server did not get ready; its log ends:\n{tail}")


async def _login(port: int, email: str) -> str:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        response = await http.post(
            "/graphql",
            json={
                "operationName": "Login",
                "variables": {"email": email, "password": DEMO_PASSWORD},
            },
        )
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(body["errors"])
        token: str = body["data"]["login"]["token"]
        return token


async def _check(port: int, operation: Operation) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        response = await http.post(
            "/graphql",
            json={"operationName": operation.document, "variables": operation.variables},
            headers={"Authorization": f"Bearer {operation.token}"},
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors") or not body.get("data"):
            raise RuntimeError(f"{operation.name}: {response.status_code} {body}")


def server_environment(owner_url: str, app_url: str, port: int) -> dict[str, str]:
    """Production mode as `load_settings` demands it: a real secret key; JSON logs."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "SEDDEL_PRODUCTION": "1",
        "SEDDEL_SECRET_KEY": secrets.token_urlsafe(32),
        "SEDDEL_DATABASE_URL": app_url,
        "SEDDEL_MIGRATION_DATABASE_URL": owner_url,
        "SEDDEL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SEDDEL_STORAGE": "local",
        "SEDDEL_BROKER": "memory",
        "SEDDEL_LOG_JSON": "1",
        # The server only answers reads here: no worker runs, so nothing is mailed or pushed.
        "SEDDEL_EMAIL_ENABLED": "0",
        "SEDDEL_PUSH_ENABLED": "0",
    }


async def run_throughput(
    owner: AsyncEngine, owner_url: str, app_url: str, seconds: float
) -> list[dict[str, Any]]:
    subjects = await find_subjects(owner)
    storage = create_storage(Settings(database_url=app_url))
    photos = await seed_day_photos(owner, storage, [subjects.child_id], date.today())
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="seddel-bench-server-", suffix=".log")[1])
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "1"]
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            command,
            env=server_environment(owner_url, app_url, port),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    results = []
    try:
        await _wait_ready(port, server, log)
        guardian_token = await _login(port, subjects.guardian_email)
        admin_token = await _login(port, subjects.admin_email)
        for operation in operations(subjects, guardian_token, admin_token):
            await _check(port, operation)
            request = _request_bytes(port, operation)
            await _drive(port, request, min(1.0, seconds / 4))  # warm the server
            cpu_before, own_before = _cpu_seconds(server.pid), _own_cpu()
            database_before = database_cpu_seconds()
            started = time.perf_counter()
            latencies, failures = await _drive(port, request, seconds)
            elapsed = time.perf_counter() - started
            cpu_after, own_after = _cpu_seconds(server.pid), _own_cpu()
            database_after = database_cpu_seconds()
            cut = statistics.quantiles(latencies, n=100)
            server_cpu = (
                None
                if cpu_before is None or cpu_after is None
                else (cpu_after - cpu_before) / elapsed * 100
            )
            database_cpu = (
                None
                if database_before is None or database_after is None
                else (database_after - database_before) / elapsed * 100
            )
            per_request = (
                None
                if server_cpu is None or database_cpu is None
                else (server_cpu + database_cpu) * 10 * elapsed / len(latencies)
            )
            results.append(
                {
                    "operation": operation.name,
                    "requests": len(latencies),
                    "failures": failures,
                    "per_second": len(latencies) / elapsed,
                    "p50_ms": statistics.median(latencies) * 1000,
                    "p99_ms": cut[98] * 1000,
                    "server_cpu": server_cpu,
                    "database_cpu": database_cpu,
                    "cpu_ms_per_request": per_request,
                    "client_cpu": (own_after - own_before) / elapsed * 100,
                }
            )
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        await remove_day_photos(owner, storage, photos)
        log.unlink(missing_ok=True)
    return results


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def print_throughput(results: list[dict[str, Any]], seconds: float) -> None:
    print(
        f"HTTP: `seddel serve` (production, 1 worker), concurrency {CONCURRENCY}, "
        f"{seconds:g} s per operation; CPU: 100 % is one core (db: every PostgreSQL process on "
        "this machine); CPU/req: the server's and the database's CPU per request"
    )
    header = (
        "operation",
        "requests",
        "failed",
        "req/s",
        "p50 ms",
        "p99 ms",
        "server CPU",
        "db CPU",
        "CPU/req ms",
        "bench CPU",
    )
    print("{:<12}{:>9}{:>7}{:>9}{:>9}{:>9}{:>12}{:>8}{:>12}{:>11}".format(*header))
    for r in results:
        server_cpu = _percent(r["server_cpu"])
        database_cpu = _percent(r["database_cpu"])
        per_request = "n/a" if r["cpu_ms_per_request"] is None else f"{r['cpu_ms_per_request']:.2f}"
        print(
            f"{r['operation']:<12}{r['requests']:>9}{r['failures']:>7}{r['per_second']:>9.1f}"
            f"{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{server_cpu:>12}{database_cpu:>8}"
            f"{per_request:>12}{r['client_cpu']:>9.0f} %"
        )


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} %"

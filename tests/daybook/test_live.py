"""childDayChanged through real server processes over graphql-transport-ws: the guardian
hears of new, corrected and deleted entries and of photos they may see (not of a photo that
shows another family's child without group consent); other families are refused; a revoked
session ends the subscription; on PostgreSQL across two processes (LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from PIL import Image

from tests.conftest import is_postgres
from tests.daybook.helpers import CPH, METTE, PERNILLE
from tests.files import jpeg_bytes

ROOT = Path(__file__).resolve().parents[2]
# A day no other test reads: these servers commit what they write.
DAY = datetime.now(CPH).date() - timedelta(days=20)
SUBSCRIBE = """subscription ($child: ID!) {
  childDayChanged(child: $child) {
    kind
    id
    entry { id version details { __typename } }
    photo { id caption url(variant: THUMBNAIL) }
  }
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(settings, broker: str, media: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "SEDDEL_DATABASE_URL": settings.database_url,
        "SEDDEL_BROKER": broker,
        # Photos go to the test's own directory, and their signed URLs point at this server.
        "SEDDEL_MEDIA_ROOT": str(media),
        "SEDDEL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SEDDEL_ARGON2_TIME_COST": "1",
        "SEDDEL_ARGON2_MEMORY_KIB": "1024",
        "SEDDEL_ARGON2_PARALLELISM": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(f"http://{base}/health/live", timeout=0.5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return process, base


@pytest.fixture
def servers(settings, request, tmp_path) -> Iterator[list[str]]:
    count, broker = request.param
    # Shared by the processes, as one bucket would be.
    started = [_start(settings, broker, tmp_path / "media") for _ in range(count)]
    try:
        yield [base for _, base in started]
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(timeout=10)


async def _gql(http: httpx.AsyncClient, name: str, query: str | None, variables: dict, token=None):
    body: dict[str, Any] = {"operationName": name, "variables": variables}
    if query:
        body["query"] = query
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json=body, headers=headers)
    return response.json()


async def _login(http: httpx.AsyncClient, email: str) -> dict:
    data = await _gql(http, "Login", None, {"email": email, "password": "seddel-demo"})
    return data["data"]["login"]


async def _liva_and_stranger(http: httpx.AsyncClient, admin_token: str) -> tuple[str, str]:
    me = await _gql(http, "Me", None, {}, admin_token)
    institution = me["data"]["me"]["institutions"][0]["institution"]["id"]
    overview = await _gql(
        http, "InstitutionOverview", None, {"id": institution, "first": 40}, admin_token
    )
    children = [e["node"] for e in overview["data"]["node"]["children"]["edges"]]
    liva = next(c["id"] for c in children if c["name"] == "Liva Holm-Jensen")
    other = next(c for c in children if c["name"] != "Liva Holm-Jensen")
    return liva, other["guardians"][0]["email"]


class Socket:
    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, base: str, token: str) -> Socket:
        ws = await websockets.connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"])
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        return cls(ws)

    async def subscribe(self, child: str, operation_id: str = "1") -> None:
        payload = {"query": SUBSCRIBE, "variables": {"child": child}}
        await self.ws.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))
        await asyncio.sleep(0.5)  # listening before anything is published

    async def next(self, timeout: float = 10) -> dict:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message["type"] in ("next", "error", "complete"):
                return message


def _record(liva: str, hour: int) -> dict:
    moment = datetime(DAY.year, DAY.month, DAY.day, hour, tzinfo=CPH).isoformat()
    return {
        "input": {
            "childId": liva,
            "day": DAY.isoformat(),
            "at": moment,
            "details": {"mood": {"mood": "HAPPY"}},
        }
    }


async def _check_live(record_on: str, listen_on: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{record_on}") as http:
        admin = await _login(http, "admin@solsikken.example")
        liva, stranger_email = await _liva_and_stranger(http, admin["token"])
        pernille = (await _login(http, PERNILLE))["token"]
        mette = await _login(http, METTE)
        stranger = (await _login(http, stranger_email))["token"]

        refused = await Socket.open(listen_on, stranger)
        await refused.subscribe(liva)
        message = await refused.next()
        assert message["type"] == "error" or message["payload"].get("errors"), message
        await refused.ws.close()

        listener = await Socket.open(listen_on, mette["token"])
        await listener.subscribe(liva)
        made = await _gql(http, "RecordDayEntry", None, _record(liva, 9), pernille)
        entry = made["data"]["recordDayEntry"]
        heard = (await listener.next())["payload"]["data"]["childDayChanged"]
        assert heard["kind"] == "ENTRY" and heard["id"] == entry["id"]
        assert heard["entry"]["details"]["__typename"] == "MoodDetails"
        deleted = await _gql(http, "DeleteDayEntry", None, {"entryId": entry["id"]}, pernille)
        assert deleted["data"]["deleteDayEntry"]["__typename"] == "DayEntry"
        gone = (await listener.next())["payload"]["data"]["childDayChanged"]
        assert gone == {"kind": "ENTRY", "id": entry["id"], "entry": None, "photo": None}

        # Revoked: the next event ends the subscription instead of telling anything.
        revoke = await _gql(
            http, "RevokeSession", None, {"sessionId": mette["session"]["id"]}, mette["token"]
        )
        assert revoke["data"]["revokeSession"]["__typename"] == "SessionRevoked"
        again = await _gql(http, "RecordDayEntry", None, _record(liva, 10), pernille)
        assert (await listener.next())["type"] == "complete"
        await _gql(
            http,
            "DeleteDayEntry",
            None,
            {"entryId": again["data"]["recordDayEntry"]["id"]},
            pernille,
        )
        await listener.ws.close()


async def _bjornene(http: httpx.AsyncClient, admin_token: str, staff_token: str) -> dict:
    """Liva's institution and group, Liva, and a child of another family in her group whose
    photo consent is "own guardians" (nobody answered: the default) and who is not protected."""
    me = await _gql(http, "Me", None, {}, admin_token)
    institution = me["data"]["me"]["institutions"][0]["institution"]["id"]
    overview = await _gql(
        http, "InstitutionOverview", None, {"id": institution, "first": 40}, admin_token
    )
    children = [e["node"] for e in overview["data"]["node"]["children"]["edges"]]
    liva = next(c for c in children if c["name"] == "Liva Holm-Jensen")
    group = liva["group"]["id"]
    consents = await _gql(http, "GroupPhotoConsents", None, {"groupId": group}, staff_token)
    other = next(
        c["child"]["id"]
        for c in consents["data"]["groupPhotoConsents"]
        if c["child"]["id"] != liva["id"]
        and c["effective"] == "OWN_GUARDIANS"
        and not c["isProtected"]
    )
    return {"institution": institution, "group": group, "liva": liva["id"], "other": other}


async def _add_photo(
    http: httpx.AsyncClient, token: str, place: dict, children: list[str], caption: str
) -> dict:
    """Upload through POST /uploads as the tablet does, then AddPhoto on the test's day."""
    uploaded = await http.post(
        "/uploads",
        data={"institution": place["institution"], "purpose": "photo"},
        files={"file": ("IMG_0001.jpg", jpeg_bytes(64, 48), "image/jpeg")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert uploaded.status_code == 201, uploaded.text
    variables = {
        "input": {
            "groupId": place["group"],
            "fileId": uploaded.json()["id"],
            "childIds": children,
            "caption": caption,
            "takenOn": DAY.isoformat(),
        }
    }
    added = (await _gql(http, "AddPhoto", None, variables, token))["data"]["addPhoto"]
    assert added["__typename"] == "Photo", added
    return dict(added)


async def _check_photos(record_on: str, listen_on: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{record_on}") as http:
        admin = (await _login(http, "admin@solsikken.example"))["token"]
        pernille = (await _login(http, PERNILLE))["token"]
        mette = (await _login(http, METTE))["token"]
        place = await _bjornene(http, admin, pernille)
        listener = await Socket.open(listen_on, mette)
        await listener.subscribe(place["liva"])
        added: list[str] = []
        try:
            # Published first, but never told: the other child may be shown to its own
            # guardians only, so Liva's guardian may not see this photo.
            together = await _add_photo(
                http, pernille, place, [place["liva"], place["other"]], "Liva og en ven"
            )
            added.append(together["id"])
            alone = await _add_photo(http, pernille, place, [place["liva"]], "Liva i sandkassen")
            added.append(alone["id"])
            # Events are told in order: the first one heard is the photo of Liva alone.
            heard = (await listener.next())["payload"]["data"]["childDayChanged"]
            assert heard["kind"] == "PHOTO" and heard["id"] == alone["id"], heard
            assert heard["entry"] is None
            photo = heard["photo"]
            assert photo["id"] == alone["id"] and photo["caption"] == "Liva i sandkassen"
            # The signed URL serves the re-encoded thumbnail.
            served = await http.get(photo["url"])
            assert served.status_code == 200, served.text
            assert Image.open(io.BytesIO(served.content)).format == "JPEG"
        finally:
            # These servers commit: leave no photo behind for the tests that follow.
            for photo_id in added:
                await _gql(http, "DeletePhoto", None, {"photoId": photo_id}, pernille)
            await listener.ws.close()


@pytest.mark.parametrize("servers", [(1, "memory")], indirect=True)
async def test_a_guardian_hears_of_entries_and_visible_photos_live(servers):
    await _check_live(servers[0], servers[0])
    await _check_photos(servers[0], servers[0])


@pytest.mark.skipif(not is_postgres(), reason="LISTEN/NOTIFY needs PostgreSQL")
@pytest.mark.parametrize("servers", [(2, "postgres")], indirect=True)
async def test_across_two_processes_with_the_postgres_broker(servers):
    await _check_live(servers[0], servers[1])
    await _check_photos(servers[0], servers[1])

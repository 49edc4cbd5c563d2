"""Shared lookups of the gallery tests."""

from __future__ import annotations

from typing import Any

from tests.helpers import SOLSIKKEN_ADMIN, overview

METTE = "mette@example.com"
JONAS = "jonas@example.com"
PERNILLE = "pernille@solsikken.example"
KARSTEN = "karsten@solsikken.example"  # staff of Myrerne, not Bjørnene
REGNBUEN_ADMIN = "admin@regnbuen.example"
LARS = "lars@regnbuen.example"


async def solsikken(client) -> dict[str, Any]:
    return await overview(client, SOLSIKKEN_ADMIN, first=40)


def child(node: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e["node"] for e in node["children"]["edges"] if e["node"]["name"] == name)


def children_of(node: dict[str, Any], group: str) -> list[dict[str, Any]]:
    return [e["node"] for e in node["children"]["edges"] if e["node"]["group"]["name"] == group]


def group(node: dict[str, Any], name: str) -> str:
    return next(g["id"] for g in node["groups"] if g["name"] == name)


async def give_jonas_custody(client, liva: dict[str, Any]) -> None:
    link = next(g for g in liva["guardians"] if g["email"] == JONAS)
    done = await client.gql(
        "UpdateGuardianLink",
        {"input": {"guardianLinkId": link["id"], "hasCustody": True, "access": "FULL"}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert done["updateGuardianLink"]["__typename"] == "GuardianLink", done


async def set_consent(client, who: str, child_id: str, level: str) -> dict[str, Any]:
    data = await client.gql("SetPhotoConsent", {"childId": child_id, "level": level}, as_=who)
    result: dict[str, Any] = data["setPhotoConsent"]
    return result


async def upload_photo(client, institution: str, *, as_: str = PERNILLE, size=(64, 48)) -> str:
    from tests.files import jpeg_bytes, upload

    body = await upload(
        client,
        as_=as_,
        institution=institution,
        purpose="photo",
        filename="IMG_0001.jpg",
        data=jpeg_bytes(*size),
    )
    file_id: str = body["id"]
    return file_id


async def add_photo(
    client, node: dict[str, Any], children: list[str], *, as_: str = PERNILLE, group_name="Bjørnene", size=(64, 48), **extra
) -> dict[str, Any]:
    file_id = await upload_photo(client, node["id"], as_=as_, size=size)
    data = await client.gql(
        "AddPhoto",
        {"input": {"groupId": group(node, group_name), "fileId": file_id, "childIds": children, **extra}},
        as_=as_,
    )
    result: dict[str, Any] = data["addPhoto"]
    return result


async def sees(client, who: str, photo_id: str) -> bool:
    node = (await client.gql("PhotoNode", {"id": photo_id}, as_=who))["node"]
    return node is not None

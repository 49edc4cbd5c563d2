"""Shared set-up of the child's record and contact list tests (the demo's people)."""

from __future__ import annotations

from typing import Any

from tests.helpers import SOLSIKKEN_ADMIN, overview

METTE = "mette@example.com"  # custody, full access: Liva (Bjørnene) and Oscar (Regnbuen 0.A)
JONAS = "jonas@example.com"  # Liva's father: no custody, information only
PERNILLE = "pernille@solsikken.example"  # staff in Bjørnene
KARSTEN = "karsten@solsikken.example"  # staff in Myrerne: the same institution
REGNBUEN_ADMIN = "admin@regnbuen.example"
LARS = "lars@regnbuen.example"  # staff in Regnbuen's 0.A, Oscar's group
LIVA = "Liva Holm-Jensen"

RECORD = {
    "allergies": "Jordnødder (anafylaksi), EpiPen i tasken",
    "diet": "Ingen svinekød",
    "doctorName": "Læge Hansen",
    "doctorPhone": "+4586123456",
    "staffNotes": "Bliver ked af det ved aflevering",
}
CONSENT = {"medicine": "Panodil junior", "dose": "250 mg", "validFrom": "2020-01-01"}


async def solsikken(client: Any) -> dict[str, Any]:
    """Bjørnene and Myrerne with their children and first guardians, Liva, the protected
    child of Bjørnene."""
    node = await overview(client, SOLSIKKEN_ADMIN)
    children = [e["node"] for e in node["children"]["edges"]]
    nodes = await client.gql("Nodes", {"ids": [c["id"] for c in children]}, as_=SOLSIKKEN_ADMIN)
    protected = {n["id"] for n in nodes["nodes"] if n["isProtected"]}
    bears = [c for c in children if c["group"]["name"] == "Bjørnene"]
    ants = [c for c in children if c["group"]["name"] == "Myrerne"]
    liva = next(c for c in bears if c["name"] == LIVA)
    others = [c for c in bears if c["id"] != liva["id"] and c["id"] not in protected]
    return {
        "institution": node["id"],
        "bears_group": next(g["id"] for g in node["groups"] if g["name"] == "Bjørnene"),
        "ants_group": next(g["id"] for g in node["groups"] if g["name"] == "Myrerne"),
        "liva": liva["id"],
        "others": others,
        "protected": next(c for c in bears if c["id"] in protected),
        "ant": ants[0],
    }


async def fill_record(client: Any, child: str, **overrides: Any) -> dict[str, Any]:
    data = await client.gql(
        "SetChildRecord", {"childId": child, "input": {**RECORD, **overrides}}, as_=METTE
    )
    result: dict[str, Any] = data["setChildRecord"]
    return result


async def sign(client: Any, child: str, *, as_: str = METTE, **overrides: Any) -> dict[str, Any]:
    data = await client.gql(
        "SignMedicationConsent", {"childId": child, "input": {**CONSENT, **overrides}}, as_=as_
    )
    result: dict[str, Any] = data["signMedicationConsent"]
    return result


async def read(client: Any, child: str, as_: str) -> dict[str, Any] | None:
    data = await client.gql("ChildRecord", {"childId": child}, as_=as_)
    result: dict[str, Any] | None = data["childRecord"]
    return result

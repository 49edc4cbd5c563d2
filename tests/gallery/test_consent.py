"""Photo consent (samtykke): custody guardians answer; the most restrictive answer counts."""

from __future__ import annotations

import itertools

import pytest

from tests.gallery.common import (
    JONAS,
    LARS,
    METTE,
    PERNILLE,
    REGNBUEN_ADMIN,
    child,
    children_of,
    give_jonas_custody,
    group,
    set_consent,
    solsikken,
)
from tests.helpers import SOLSIKKEN_ADMIN

RANK = {"NONE": 0, "OWN_GUARDIANS": 1, "GROUP": 2}
ANSWERS = [None, "NONE", "OWN_GUARDIANS", "GROUP"]


async def test_no_answer_means_own_guardians_by_default(client):
    liva = child(await solsikken(client), "Liva Holm-Jensen")
    for viewer in (METTE, JONAS, PERNILLE, SOLSIKKEN_ADMIN):
        seen = (await client.gql("PhotoConsent", {"childId": liva["id"]}, as_=viewer))[
            "photoConsent"
        ]
        assert seen["effective"] == "OWN_GUARDIANS", viewer
        assert seen["myAnswer"] is None
    mette = (await client.gql("PhotoConsent", {"childId": liva["id"]}, as_=METTE))["photoConsent"]
    assert mette["canAnswer"] is True
    assert mette["answers"] == [
        {"guardianName": "Mette Holm-Jensen", "level": None, "answeredAt": None}
    ]


@pytest.mark.parametrize(("mette", "jonas"), list(itertools.product(ANSWERS, ANSWERS)))
async def test_consent_matrix_of_two_custody_guardians(client, mette, jonas):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    await give_jonas_custody(client, liva)
    for who, answer in ((METTE, mette), (JONAS, jonas)):
        if answer is not None:
            result = await set_consent(client, who, liva["id"], answer)
            assert result["__typename"] == "PhotoConsent", result
            assert result["myAnswer"] == answer
    expected = min(RANK[mette or "OWN_GUARDIANS"], RANK[jonas or "OWN_GUARDIANS"])
    for viewer in (METTE, JONAS, PERNILLE):
        seen = (await client.gql("PhotoConsent", {"childId": liva["id"]}, as_=viewer))[
            "photoConsent"
        ]
        assert RANK[seen["effective"]] == expected, (viewer, mette, jonas, seen)
    staff = (await client.gql("PhotoConsent", {"childId": liva["id"]}, as_=PERNILLE))[
        "photoConsent"
    ]
    assert sorted((a["guardianName"], a["level"]) for a in staff["answers"]) == [
        ("Jonas Jensen", jonas),
        ("Mette Holm-Jensen", mette),
    ]


async def test_only_guardians_with_custody_answer(client):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    other = next(c for c in children_of(node, "Bjørnene") if c["name"] != "Liva Holm-Jensen")
    other_parent = other["guardians"][0]["email"]
    jonas = (await client.gql("PhotoConsent", {"childId": liva["id"]}, as_=JONAS))["photoConsent"]
    assert jonas["canAnswer"] is False
    for actor in (JONAS, PERNILLE, SOLSIKKEN_ADMIN, other_parent, REGNBUEN_ADMIN, LARS):
        result = await set_consent(client, actor, liva["id"], "NONE")
        assert result["code"] == "NOT_FOUND", actor
    # Nothing was written: no answer, no history.
    staff = (await client.gql("PhotoConsent", {"childId": liva["id"]}, as_=PERNILLE))[
        "photoConsent"
    ]
    assert staff["effective"] == "OWN_GUARDIANS" and staff["history"] == []


async def test_strangers_see_nothing(client):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    other = next(c for c in children_of(node, "Bjørnene") if c["name"] != "Liva Holm-Jensen")
    for stranger in (other["guardians"][0]["email"], REGNBUEN_ADMIN, LARS):
        assert (await client.gql("PhotoConsent", {"childId": liva["id"]}, as_=stranger))[
            "photoConsent"
        ] is None
        listed = await client.gql(
            "GroupPhotoConsents", {"groupId": group(node, "Bjørnene")}, as_=stranger
        )
        assert listed["groupPhotoConsents"] == []
    for token in (None, "made-up-token"):
        payload = await client.execute(
            "SetPhotoConsent", {"childId": liva["id"], "level": "NONE"}, token=token
        )
        assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_every_change_is_kept_with_who_and_when(client):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    await give_jonas_custody(client, liva)
    await set_consent(client, METTE, liva["id"], "GROUP")
    await set_consent(client, JONAS, liva["id"], "GROUP")
    await set_consent(client, METTE, liva["id"], "GROUP")  # unchanged: no new entry
    await set_consent(client, METTE, liva["id"], "NONE")
    staff = (await client.gql("PhotoConsent", {"childId": liva["id"]}, as_=PERNILLE))[
        "photoConsent"
    ]
    assert [(h["guardianName"], h["level"]) for h in staff["history"]] == [
        ("Mette Holm-Jensen", "NONE"),
        ("Jonas Jensen", "GROUP"),
        ("Mette Holm-Jensen", "GROUP"),
    ]
    assert all(h["changedAt"] for h in staff["history"])
    assert staff["effective"] == "NONE"
    # A guardian sees their own changes and answer only.
    jonas = (await client.gql("PhotoConsent", {"childId": liva["id"]}, as_=JONAS))["photoConsent"]
    assert [h["level"] for h in jonas["history"]] == ["GROUP"]
    assert [a["guardianName"] for a in jonas["answers"]] == ["Jonas Jensen"]
    assert jonas["myAnswer"] == "GROUP" and jonas["effective"] == "NONE"


async def test_staff_see_the_groups_consents_in_one_bounded_request(client, assert_max_queries):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    await set_consent(client, METTE, liva["id"], "GROUP")
    await client.token_for(PERNILLE)
    with assert_max_queries(6):
        listed = (
            await client.gql(
                "GroupPhotoConsents", {"groupId": group(node, "Bjørnene")}, as_=PERNILLE
            )
        )["groupPhotoConsents"]
    assert len(listed) == 12
    by_name = {c["child"]["name"]: c for c in listed}
    assert by_name["Liva Holm-Jensen"]["effective"] == "GROUP"
    assert sum(c["isProtected"] for c in listed) == 1
    assert all(
        c["effective"] == "OWN_GUARDIANS" for n, c in by_name.items() if n != "Liva Holm-Jensen"
    )


async def set_settings(client, node, **settings) -> None:
    done = await client.gql(
        "UpdateInstitutionSettings",
        {"institution": node["id"], "input": settings},
        as_=SOLSIKKEN_ADMIN,
    )
    assert done["updateInstitutionSettings"]["__typename"] == "Institution", done


@pytest.mark.parametrize(
    ("default", "requires", "mette", "expected"),
    [
        ("none", True, None, "NONE"),
        ("group", True, None, "GROUP"),
        ("group", True, "OWN_GUARDIANS", "OWN_GUARDIANS"),
        ("own_guardians", False, None, "GROUP"),
        ("own_guardians", False, "OWN_GUARDIANS", "GROUP"),
        ("own_guardians", False, "NONE", "NONE"),
        ("none", False, None, "NONE"),
        ("group", False, "NONE", "NONE"),
    ],
)
async def test_institution_settings_decide_what_no_answer_and_group_sharing_mean(
    client, default, requires, mette, expected
):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    await set_settings(
        client, node, photoConsentDefault=default.upper(), groupSharingRequiresConsent=requires
    )
    if mette:
        await set_consent(client, METTE, liva["id"], mette)
    for viewer in (METTE, PERNILLE):
        seen = (await client.gql("PhotoConsent", {"childId": liva["id"]}, as_=viewer))[
            "photoConsent"
        ]
        assert seen["effective"] == expected, viewer

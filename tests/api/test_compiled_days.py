"""The compiled day documents (GroupDay, app/attendance/presence/api/compiled.py) answer byte for
byte as the resolvers do: for every demo actor, a paired tablet (bare and with staff switched
in) and another institution's staff, over a group whose children leave every way there is,
are absent, present, picked up by someone unplanned, on vacation by a survey; for every group
and day the tablet asks (today without a day, the week's days, a closed day, a day that closes
early with weekly defaults, a survey answer and a go-home-alone window after the closing), at
times of the day that raise every flag; and with the same access-log rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from app.core.runtime import Runtime
from app.ops.demo import DEMO_LOGINS
from app.privacy.accesslog.models import AccessLogEntry
from app.root.schema import COMPILED_DOCUMENTS
from tests.api.test_day_views_statements import _grow_the_group
from tests.attendance.day_view_helpers import bears, local
from tests.attendance.plan_helpers import LARS, PERNILLE, day, family, set_plan
from tests.attendance.presence_support import check_in, check_out, pair, set_pin, switch_in
from tests.attendance.test_group_day_plan import _plan_every_way
from tests.client import GraphQLClient
from tests.compiled_pair import Pair, built_count, compiled_count, compiled_pair
from tests.conftest import is_postgres
from tests.helpers import SOLSIKKEN_ADMIN, overview

pytestmark = pytest.mark.skipif(not is_postgres(), reason="compiled documents run on PostgreSQL")

DEMO = [login.email for login in DEMO_LOGINS]


@pytest.fixture
async def days_pair(client: GraphQLClient, runtime: Runtime) -> AsyncIterator[Pair]:
    async with compiled_pair(client, runtime) as both:
        yield both


async def _a_full_day(client: GraphQLClient, plan_clock: Any) -> dict[str, Any]:
    """Bjørnene on Monday: every way of leaving, a survey's vacation and coming days, stays
    in and out (one picked up by someone unplanned), absences, and a tablet. Tuesday closes
    early, at 12:15: two weekly defaults (one going home alone until 14:45) and a survey's
    13:30 end after it."""
    plan_clock.at_local(10, 30)
    f = await family(client)
    children = await bears(client)
    await _plan_every_way(client, children[:5])
    late = {"leaveMode": "GUARDIAN", "arrival": "08:00", "pickup": "15:00", "note": "Tandlæge"}
    await set_plan(client, children[7]["id"], as_=PERNILLE, day=day(0), **late)
    survey = {"title": "Uge 2", "firstDay": day(1), "lastDay": day(4), "deadline": day(0)}
    opened = await client.gql(
        "OpenVacationSurvey",
        {"input": {"institutionId": f["institution"], **survey}},
        as_=SOLSIKKEN_ADMIN,
    )
    survey_id = opened["openVacationSurvey"]["id"]
    for child, days in (
        (children[5], [{"day": day(1), "coming": False}]),
        (children[6], [{"day": day(1), "coming": True, "arrival": "09:15", "pickup": "13:30"}]),
        (children[1], [{"day": day(1), "coming": True, "pickup": "12:00"}]),
    ):
        answered = await client.gql(
            "AnswerVacationSurvey",
            {"surveyId": survey_id, "childId": child["id"], "days": days},
            as_=PERNILLE,
        )
        assert answered["answerVacationSurvey"]["__typename"] == "VacationAnswers", answered
    for child, weekly in (
        (children[0], {"leaveMode": "ALONE", "pickup": "11:00", "aloneUntil": "14:45"}),
        (children[2], {"leaveMode": "GUARDIAN", "pickup": "15:00"}),
    ):
        made = await set_plan(client, child["id"], as_=PERNILLE, weekday="TUE", **weekly)
        assert made["__typename"] == "PickupPlanEntry", made
    early = {"from": day(1), "to": day(1), "label": "Tidlig lukket", "closesAt": "12:15"}
    closed = await client.gql(
        "CloseDays", {"institutionId": f["institution"], **early}, as_=SOLSIKKEN_ADMIN
    )
    assert closed["closeDays"]["__typename"] == "CalendarDays", closed
    for n, child in enumerate(children[:4]):
        came = await check_in(client, child["id"], at=local(7, 30 + n))
        assert came["__typename"] == "PresenceChanged", came
    went = await check_out(
        client, children[1]["id"], at=local(9, 0), picked_up_by={"otherName": "Nabo"}, reason="Ok"
    )
    assert went["__typename"] == "PresenceChanged", went
    await _grow_the_group(client, f, 8)
    node = await overview(client, SOLSIKKEN_ADMIN)
    groups = [g["id"] for g in node["groups"]]
    tablet = (await pair(client, "STAFF_TABLET"))["token"]
    return {"f": f, "groups": groups, "tablet": tablet}


async def _actors(client: GraphQLClient, tablet: str) -> list[dict[str, Any]]:
    await set_pin(client, PERNILLE, "4821")
    switched = (await switch_in(client, tablet, "Pernille Holm", "4821"))["token"]
    return [
        *({"as_": email} for email in DEMO),
        {"as_": LARS},
        {"token": tablet},
        {"token": switched},
    ]


async def test_group_day_for_every_actor_group_day_and_hour(
    days_pair: Pair, plan_clock: Any
) -> None:
    setup = await _a_full_day(days_pair.on, plan_clock)
    f = setup["f"]
    regnbuen = (await days_pair.on.gql("Me", as_=LARS))["me"]["staffedGroups"][0]["id"]
    groups = [*setup["groups"], regnbuen, f["liva"], "bm9wZQ==", "not an id"]
    shapes: list[dict[str, Any]] = [{}, *({"day": day(n)} for n in (0, 1, 2, 5, -1)), {"day": None}]
    actors = await _actors(days_pair.on, setup["tablet"])
    before = compiled_count("GroupDay")
    answers = b""
    for hour, minute in ((10, 30), (16, 45)):
        plan_clock.at_local(hour, minute)
        for who in actors:
            for group in groups:
                for shape in shapes:
                    answers += await days_pair.same("GroupDay", {"groupId": group, **shape}, **who)
    # Tuesday 12:30, just past its early closing: today is the day that closes early.
    plan_clock.at_local(12, 30, offset_days=1)
    for who in actors:
        for shape in ({}, {"day": day(1)}, {"day": day(0)}):
            group = f["bears_group"]
            answers += await days_pair.same("GroupDay", {"groupId": group, **shape}, **who)
    assert compiled_count("GroupDay") - before > 100
    # The answers hold every kind of day, plan and flag (not only nulls).
    for shown in (
        b'"status":"PRESENT"',
        b'"status":"PICKED_UP"',
        b'"status":"ABSENT"',
        b'"status":"EXPECTED"',
        b'"status":"NOT_EXPECTED"',
        b'"notArrived":true',
        b'"overdue":true',
        b'"unplannedPickup":true',
        b'"leaveMode":"WITH_CHILD"',
        b'"companionStatus":"PENDING"',
        b'"aloneUntil":"14:45:00"',
        b'"arrivesAt":"09:15:00"',
        b'"pickedUpBy":{"kind":"OTHER","name":"Nabo"}',
        b'"groupDay":null',
        b'"errors":[',
        b'"closesAt":"12:15:00"',
        b'"closesAt":null',
        b'"pickedUpAt":"12:15:00"',
        b'"aloneUntil":"12:15:00"',
    ):
        assert shown in answers, shown
    assert compiled_count("GroupDay", "fallback") == 0


async def test_group_day_just_after_midnight_and_in_another_zone(
    days_pair: Pair, plan_clock: Any, runtime: Runtime
) -> None:
    """Today is the institution's: at 00:30 in Copenhagen it is still yesterday in UTC; an
    institution in another zone, whose today is not Copenhagen's, gets the resolvers'
    answer (the statement checks the day it assumed)."""
    from sqlalchemy import update

    from app.api.ids import try_decode
    from app.institutions.models import Institution

    setup = await _a_full_day(days_pair.on, plan_clock)
    group = setup["f"]["bears_group"]
    for hour in (24, 23):  # Tuesday 00:30 (Monday in UTC), Monday 23:30 (Monday in UTC)
        plan_clock.at_local(hour, 30)
        await days_pair.same("GroupDay", {"groupId": group}, as_=PERNILLE)
    decoded = try_decode(setup["f"]["institution"])
    assert decoded is not None
    async with runtime.sessions() as db:
        await db.execute(
            update(Institution)
            .where(Institution.id == decoded[1])
            .values(timezone="America/New_York")
        )
        await db.commit()
    before = compiled_count("GroupDay", "resolvers")
    plan_clock.at_local(2, 0, offset_days=1)  # Tuesday 02:00 here, still Monday in New York
    await days_pair.same("GroupDay", {"groupId": group}, as_=PERNILLE)
    assert compiled_count("GroupDay", "resolvers") - before == 1
    plan_clock.at_local(12, 0)
    await days_pair.same("GroupDay", {"groupId": group}, as_=PERNILLE)
    await days_pair.same("GroupDay", {"groupId": group, "day": day(0)}, as_=PERNILLE)


async def _log(runtime: Runtime) -> list[tuple[Any, ...]]:
    async with runtime.sessions() as db:
        rows = await db.execute(
            select(
                AccessLogEntry.child_id,
                AccessLogEntry.kind,
                AccessLogEntry.user_id,
                AccessLogEntry.role,
                AccessLogEntry.device_id,
                AccessLogEntry.operation,
            )
        )
        return sorted(tuple(str(v) for v in row) for row in rows.all())


async def test_the_access_log_notes_the_same_reads(
    client: GraphQLClient, runtime: Runtime, plan_clock: Any
) -> None:
    """One request on each path, the log's rows compared (who, which children, as what)."""
    from sqlalchemy import delete

    setup = await _a_full_day(client, plan_clock)
    group = setup["f"]["bears_group"]
    async with compiled_pair(client, runtime) as both:
        logged = []
        for path in (both.on.http, both.off):
            async with runtime.sessions() as db:
                await db.execute(delete(AccessLogEntry))
                await db.commit()
            token = await client.token_for(SOLSIKKEN_ADMIN)
            headers = {"Authorization": f"Bearer {token}"}
            body = {"operationName": "GroupDay", "variables": {"groupId": group}}
            response = await path.post("/graphql", json=body, headers=headers)
            assert b'"children":[{' in response.content
            logged.append(await _log(runtime))
        assert logged[0] == logged[1] and len(logged[0]) > 10


async def test_group_day_in_one_statement_after_signing_in_built_once_per_shape(
    days_pair: Pair, plan_clock: Any, assert_max_queries: Any
) -> None:
    setup = await _a_full_day(days_pair.on, plan_clock)
    group = setup["f"]["bears_group"]
    COMPILED_DOCUMENTS.built.clear()
    built, reused = built_count("GroupDay", "built"), built_count("GroupDay", "reused")
    await days_pair.on.token_for(PERNILLE)
    for _ in range(2):
        # The sign-in, then the answer, which writes the access log's rows itself.
        with assert_max_queries(2):
            await days_pair.on.gql("GroupDay", {"groupId": group}, as_=PERNILLE)
    assert built_count("GroupDay", "built") - built == 1
    assert built_count("GroupDay", "reused") - reused == 1


async def test_group_day_is_built_once_for_every_group_asked_about(
    days_pair: Pair, plan_clock: Any
) -> None:
    """The group is a parameter of the statement (CompiledGroupDay.bound_variables): the one
    built for Bjørnene answers for the other groups, and for another institution's group,
    each as the resolvers do."""
    from tests.helpers import REGNBUEN_ADMIN, group_id

    await _a_full_day(days_pair.on, plan_clock)
    groups = [
        await group_id(days_pair.on, SOLSIKKEN_ADMIN, name)
        for name in ("Bjørnene", "Myrerne", "Frøerne")
    ]
    groups.append(await group_id(days_pair.on, REGNBUEN_ADMIN, "0.A"))
    COMPILED_DOCUMENTS.built.clear()
    built = {how: built_count("GroupDay", how) for how in ("built", "reused", "per_request")}
    answers = [
        await days_pair.same("GroupDay", {"groupId": group}, as_=SOLSIKKEN_ADMIN)
        for group in groups
    ]
    assert built_count("GroupDay", "built") - built["built"] == 1
    assert built_count("GroupDay", "reused") - built["reused"] == 3
    assert built_count("GroupDay", "per_request") == built["per_request"]
    assert len(set(answers)) == 4 and all(b'"children":[{' in a for a in answers[:3])


async def _a_full_log(client: GraphQLClient) -> dict[str, Any]:
    """Liva's yesterday with an entry of every kind (a sleep still going, medicine given by a
    colleague, an incident one guardian confirmed, a corrected and a deleted entry) and
    photos: hers alone, with a friend, with the protected child, of another day."""
    from tests.daybook.helpers import KARSTEN, METTE, at, record, solsikken, yesterday
    from tests.gallery.common import add_photo
    from tests.gallery.common import solsikken as gallery_solsikken

    ids = await solsikken(client)
    liva = ids["liva"]
    f = await family(client)
    staff = ids["staff"]
    kinds: list[dict[str, Any]] = [
        {"meal": {"meal": "LUNCH", "amount": "WELL"}},
        {"sleep": {"endsAt": at(13, 47)}},
        {"sleep": {}},
        {"diaper": {"diaper": "BM"}},
        {"medication": {"medicine": "Panodil", "dose": "5 ml", "givenBy": staff[KARSTEN]}},
        {"medication": {"medicine": "Hostesaft", "dose": "2 ml"}},
        {"incident": {"description": "Faldt", "firstAid": "Plaster"}},
        {"activity": {"description": "Tur i skoven"}},
        {"mood": {"mood": "TIRED"}},
        {"note": {"text": "Glad dag"}},
    ]
    made = []
    for n, details in enumerate(kinds):
        entry = await record(client, liva, details, at=at(9 + n // 2, 5 * n), note=f"n{n}")
        assert entry["__typename"] == "DayEntry", entry
        made.append(entry)
    await record(client, f["friend"], {"mood": {"mood": "HAPPY"}}, at=at(10, 0))
    await client.gql("ConfirmIncident", {"entryId": made[6]["id"]}, as_=METTE)
    corrected = await client.gql(
        "CorrectDayEntry",
        {
            "input": {
                "entryId": made[0]["id"],
                "at": at(11, 45),
                "details": {"meal": {"meal": "LUNCH", "amount": "LITTLE"}},
                "note": "Var træt",
            }
        },
        as_=PERNILLE,
    )
    assert corrected["correctDayEntry"]["__typename"] == "DayEntry", corrected
    await client.gql("DeleteDayEntry", {"entryId": made[3]["id"]}, as_=PERNILLE)
    node = await gallery_solsikken(client)
    taken = yesterday().isoformat()
    await add_photo(client, node, [liva], takenOn=taken, caption="Liva")
    await add_photo(client, node, [liva, f["friend"]], takenOn=taken, caption="Venner")
    await add_photo(client, node, [liva, f["protected"]], takenOn=taken, caption="Skjult")
    await add_photo(client, node, [liva], caption="I dag")
    return {"liva": liva, "friend": f["friend"], "protected": f["protected"], "day": yesterday()}


async def test_child_day_for_every_actor_child_and_date(days_pair: Pair, fixed_links: None) -> None:
    from datetime import timedelta

    log = await _a_full_log(days_pair.on)
    oscar = next(
        c["id"]
        for c in (await days_pair.on.gql("Me", as_="mette@example.com"))["me"]["children"]
        if c["institution"]["name"] == "Regnbuen"
    )
    children = [log["liva"], log["friend"], log["protected"], oscar, "bm9wZQ==", "x"]
    days = [log["day"] + timedelta(days=n) for n in (0, 1, -3)]
    tablet = (await pair(days_pair.on, "STAFF_TABLET"))["token"]
    actors = await _actors(days_pair.on, tablet)
    before = compiled_count("ChildDay")
    answers = b""
    for who in actors:
        for child in children:
            for date in days:
                for deleted in ({}, {"includeDeleted": True}, {"includeDeleted": False}):
                    variables = {"child": child, "date": date.isoformat(), **deleted}
                    answers += await days_pair.same("ChildDay", variables, **who)
    assert compiled_count("ChildDay") - before > 100
    assert compiled_count("ChildDay", "fallback") == 0
    for shown in (
        b'"__typename":"MealDetails","meal":"LUNCH","amount":"LITTLE"',
        b'"corrected":true',
        b'"minutes":',
        b'"endsAt":null',
        b'"givenBy":"Karsten',
        b'"needsMyConfirmation":true',
        b'"needsMyConfirmation":false',
        b'"isCurrent":true',
        b'"deletedAt":"',
        b'"caption":"Venner"',
        b'"url":"http',
        b'"childDay":null',
    ):
        assert shown in answers, shown


async def test_child_day_is_built_once_for_every_child_asked_about(
    days_pair: Pair, fixed_links: None
) -> None:
    """The child is a parameter of the statement (CompiledChildDay.bound_variables): the one
    built for Liva answers for another child, one in another institution and one the guardian
    may not see, each as the resolvers do."""
    log = await _a_full_log(days_pair.on)
    mette = "mette@example.com"
    oscar = next(
        c["id"]
        for c in (await days_pair.on.gql("Me", as_=mette))["me"]["children"]
        if c["institution"]["name"] == "Regnbuen"
    )
    COMPILED_DOCUMENTS.built.clear()
    built = {how: built_count("ChildDay", how) for how in ("built", "reused", "per_request")}
    answers = []
    for child in (log["liva"], oscar, log["friend"], log["protected"], log["liva"]):
        variables = {"child": child, "date": log["day"].isoformat()}
        answers.append(await days_pair.same("ChildDay", variables, as_=mette))
    assert built_count("ChildDay", "built") - built["built"] == 1
    assert built_count("ChildDay", "reused") - built["reused"] == 4
    assert built_count("ChildDay", "per_request") == built["per_request"]
    assert b'"photos":[{' in answers[0] and answers[0] == answers[4]
    assert b'"name":"Oscar Holm-Jensen"' in answers[1]
    assert answers[2] == answers[3]
    assert answers[2].startswith(b'{"data":{"childDay":null}')


async def test_child_day_logs_and_signs_as_the_resolvers(
    client: GraphQLClient, runtime: Runtime, fixed_links: None, assert_max_queries: Any
) -> None:
    """The same access-log rows on both paths; the signed links download; one statement after
    the sign-in, which writes the log's rows too."""
    from sqlalchemy import delete

    from tests.daybook.helpers import KARSTEN

    log = await _a_full_log(client)
    variables = {"child": log["liva"], "date": log["day"].isoformat()}
    async with compiled_pair(client, runtime) as both:
        for email in (PERNILLE, "mette@example.com", SOLSIKKEN_ADMIN):
            logged = []
            token = await client.token_for(email)
            for path in (both.on.http, both.off):
                async with runtime.sessions() as db:
                    await db.execute(delete(AccessLogEntry))
                    await db.commit()
                headers = {"Authorization": f"Bearer {token}"}
                body = {"operationName": "ChildDay", "variables": variables}
                response = await path.post("/graphql", json=body, headers=headers)
                assert b'"photos":[{' in response.content
                logged.append(await _log(runtime))
            assert logged[0] == logged[1], email
        COMPILED_DOCUMENTS.built.clear()
        built = {how: built_count("ChildDay", how) for how in ("built", "reused", "per_request")}
        for email in (PERNILLE, KARSTEN):  # staff of two groups: one shape
            await client.gql("ChildDay", variables, as_=email)
        with assert_max_queries(2):  # the sign-in, the answer (and its access log's rows)
            day = (await client.gql("ChildDay", variables, as_=PERNILLE))["childDay"]
        assert built_count("ChildDay", "built") - built["built"] == 1
        assert built_count("ChildDay", "reused") - built["reused"] == 2
        assert built_count("ChildDay", "per_request") == built["per_request"]
        url = day["photos"][0]["url"]
        downloaded = await client.http.get(url)
        assert downloaded.status_code == 200, url

"""Every custom scalar, property-tested: generated valid values round-trip, generated odd strings
are refused with a typed INVALID naming the argument, never an internal error. Through the real
schema as a signed-in guardian or admin, and on the scalar types the real schema carries."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from graphql import GraphQLScalarType
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.api.scalars import FIRST_YEAR, LAST_YEAR, ScalarRefused
from app.config import Settings
from app.root.schema import build_schema
from tests.attendance.plan_helpers import METTE, family
from tests.helpers import SOLSIKKEN_ADMIN, institution_id

SCALAR_NAMES = ("Date", "Time", "DateTime")
SCALAR_REASONS = {
    "Date": {"INVALID_DATE", "DATE_OUT_OF_RANGE"},
    "Time": {"INVALID_TIME", "TIME_WITH_OFFSET"},
    "DateTime": {"INVALID_DATETIME", "DATETIME_WITHOUT_OFFSET", "DATE_OUT_OF_RANGE"},
}
THROUGH_API = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PURE = settings(max_examples=300, deadline=None)

first_day, last_day = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
dates = st.dates(min_value=first_day, max_value=last_day)
times = st.times().map(lambda t: t.replace(microsecond=0))
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.datetimes(
    min_value=datetime(FIRST_YEAR, 1, 2), max_value=datetime(LAST_YEAR, 12, 30), timezones=offsets
)


def written_time(value: time, short: bool) -> str:
    return value.strftime("%H:%M") if short and value.second == 0 else value.strftime("%H:%M:%S")


def written_instant(value: datetime, style: int) -> str:
    if style == 0:
        return value.isoformat()
    if style == 1:  # as JavaScript's toISOString writes it
        utc = value.astimezone(UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return value.replace(microsecond=0).isoformat(timespec="minutes")


# Strings a client might send by mistake, and anything else hypothesis thinks of.
odd_times = st.one_of(
    st.sampled_from(
        [
            "14:00:00Z",
            "14:00Z",
            "14:00:00+01:00",
            "14:00-05",
            "24:00",
            "23:59:60",
            "14:00:00.5",
            "14",
            "1400",
            "T14:00",
            "14:00:00 ",
            " 14:00",
            "１４:００",
            "14:0",
            "",
            "null",
            "2030-01-07T14:00:00",
            "99:99",
            "-1:00",
        ]
    ),
    st.builds(
        lambda t, z: written_time(t, False) + z, times, st.sampled_from(["Z", "+00:00", "-03:30"])
    ),
    st.text(max_size=30),
)
odd_dates = st.one_of(
    st.sampled_from(
        [
            "2030-01-07T00:00:00",
            "2030-01-07T00:00:00Z",
            "20300107",
            "2030-W02-1",
            "2030-007",
            "0001-01-01",
            "9999-12-31",
            "1899-12-31",
            "3000-01-01",
            "2030-02-30",
            "2030-13-01",
            "+2030-01-07",
            "-2030-01-07",
            "2030-1-7",
            "٢٠٣٠-٠١-٠٧",
            "",
            "today",
        ]
    ),
    st.text(max_size=30),
)
odd_instants = st.one_of(
    st.sampled_from(
        [
            "2030-01-07T14:00:00",
            "2030-01-07 14:00",
            "2030-01-07",
            "2030-01-07T14:00:00+24:00",
            "2030-01-07T14:00:00+15:00",
            "2030-01-07T23:59:60Z",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "2030-W02-1T14:00Z",
            "20300107T140000Z",
            "2030-01-07T14:00:00.123456789Zjunk",
            "",
            "now",
        ]
    ),
    st.builds(lambda d: d.replace(tzinfo=None).isoformat(), instants),
    st.text(max_size=40),
)


@pytest.fixture(scope="module")
def scalars() -> dict[str, GraphQLScalarType]:
    schema = build_schema(Settings())._schema
    found = {name: schema.type_map[name] for name in SCALAR_NAMES}
    assert all(isinstance(t, GraphQLScalarType) for t in found.values())
    return found  # type: ignore[return-value]


def test_every_custom_scalar_of_the_schema_has_a_rule_here() -> None:
    schema = build_schema(Settings())._schema
    builtin = {"String", "Int", "Float", "Boolean", "ID"}
    custom = {
        name
        for name, type_ in schema.type_map.items()
        if isinstance(type_, GraphQLScalarType) and name not in builtin
    }
    assert custom == set(SCALAR_NAMES), "a new scalar needs its rule and its properties here"


# --- the scalars the real schema carries: parse(serialize(x)) == x, odd strings refused ------


@PURE
@given(value=dates)
def test_dates_round_trip(scalars: Any, value: date) -> None:
    assert scalars["Date"].parse_value(scalars["Date"].serialize(value)) == value


@PURE
@given(value=times, short=st.booleans())
def test_times_round_trip(scalars: Any, value: time, short: bool) -> None:
    assert scalars["Time"].parse_value(written_time(value, short)) == value
    assert scalars["Time"].parse_value(scalars["Time"].serialize(value)) == value


@PURE
@given(value=instants, style=st.integers(0, 2))
def test_instants_round_trip(scalars: Any, value: datetime, style: int) -> None:
    written = written_instant(value, style)
    parsed = scalars["DateTime"].parse_value(written)
    exact = {0: value, 1: value.replace(microsecond=value.microsecond // 1000 * 1000)}
    assert parsed == exact.get(style, value.replace(second=0, microsecond=0))
    again = scalars["DateTime"].parse_value(scalars["DateTime"].serialize(parsed))
    assert again == parsed and again.utcoffset() == parsed.utcoffset()


STRICT = {
    "Date": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    "Time": re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?"),
    "DateTime": re.compile(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?"
        r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
    ),
}


@PURE
@given(data=st.data())
def test_odd_strings_are_refused_with_a_reason_or_are_of_the_documented_form(
    scalars: Any, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(SCALAR_NAMES))
    raw = data.draw({"Date": odd_dates, "Time": odd_times, "DateTime": odd_instants}[name])
    try:
        scalars[name].parse_value(raw)
    except ScalarRefused as refused:
        assert refused.reason.value in SCALAR_REASONS[name]
    else:
        assert STRICT[name].fullmatch(raw), (name, raw)


def test_a_time_with_an_offset_is_refused_as_such(scalars: Any) -> None:
    for raw in ("14:00:00Z", "14:00+01:00", "14:00:00.5-05:00"):
        with pytest.raises(ScalarRefused) as refused:
            scalars["Time"].parse_value(raw)
        assert refused.value.reason.value == "TIME_WITH_OFFSET"


# --- through the real schema, as the apps send them ------------------------------------------

DATE_QUERY = "query P($childId: ID!, $start: Date!) { childPlan(childId: $childId, start: $start, days: 1) { day } }"
TIME_MUTATION = (
    "mutation S($childId: ID!, $t: Time) { setPickupPlan(childId: $childId, input: "
    "{weekday: MON, leaveMode: GUARDIAN, pickup: $t}) { __typename "
    "... on PickupPlanEntry { pickup } ... on UserError { code reason field } } }"
)
INSTANT_MUTATION = (
    "mutation A($institutionId: ID!, $a: DateTime, $b: DateTime) { setAutoReply("
    'institutionId: $institutionId, body: "Lukket", startsAt: $a, endsAt: $b) { __typename '
    "... on AutoReplyInfo { startsAt endsAt } ... on UserError { code reason field } } }"
)


_seeded: dict[str, str] = {}


async def liva_id(client: Any) -> str:
    """The demo is seeded once per session: its IDs hold across tests."""
    if "liva" not in _seeded:
        _seeded["liva"] = (await family(client))["liva"]
    return _seeded["liva"]


async def solsikken(client: Any) -> str:
    if "solsikken" not in _seeded:
        _seeded["solsikken"] = await institution_id(client, SOLSIKKEN_ADMIN)
    return _seeded["solsikken"]


def assert_refused(payload: dict[str, Any], scalar: str, field: str) -> None:
    errors = payload.get("errors") or []
    assert errors and payload.get("data") is None, payload
    extensions = errors[0].get("extensions") or {}
    assert extensions.get("code") == "INVALID", payload
    # Text with NUL or a lone surrogate meets the text rule first (app/api/inputs.py).
    assert extensions.get("reason") in {*SCALAR_REASONS[scalar], "INVALID_CHARACTERS"}, payload
    assert extensions.get("field") == field, payload
    assert extensions.get("retryable") is False, payload


@THROUGH_API
@given(value=dates)
async def test_a_generated_date_round_trips_through_the_api(client: Any, value: date) -> None:
    liva = await liva_id(client)
    payload = await client.execute(
        "P", {"childId": liva, "start": value.isoformat()}, query=DATE_QUERY, as_=METTE
    )
    assert payload.get("errors") is None, payload
    assert payload["data"]["childPlan"] == [{"day": value.isoformat()}]


@THROUGH_API
@given(value=times.filter(lambda t: time(6, 30) <= t <= time(17)), short=st.booleans())
async def test_a_generated_time_round_trips_through_the_api(
    client: Any, value: time, short: bool
) -> None:
    liva = await liva_id(client)
    variables = {"childId": liva, "t": written_time(value, short)}
    payload = await client.execute("S", variables, query=TIME_MUTATION, as_=METTE)
    assert payload.get("errors") is None, payload
    assert payload["data"]["setPickupPlan"] == {
        "__typename": "PickupPlanEntry",
        "pickup": value.isoformat(),
    }


@THROUGH_API
@given(
    start=st.datetimes(
        min_value=datetime(2031, 1, 1), max_value=datetime(2999, 1, 1), timezones=offsets
    ),
    style=st.integers(0, 2),
)
async def test_a_generated_instant_round_trips_through_the_api(
    client: Any, start: datetime, style: int
) -> None:
    start = start.replace(microsecond=0)
    end = start + timedelta(days=1, hours=3)
    iid = await solsikken(client)
    variables = {"institutionId": iid, "a": written_instant(start, style), "b": end.isoformat()}
    payload = await client.execute("A", variables, query=INSTANT_MUTATION, as_=SOLSIKKEN_ADMIN)
    assert payload.get("errors") is None, payload
    answer = payload["data"]["setAutoReply"]
    assert answer["__typename"] == "AutoReplyInfo", answer
    assert datetime.fromisoformat(answer["startsAt"]) == start.replace(
        second=0 if style == 2 else start.second
    )
    assert datetime.fromisoformat(answer["endsAt"]) == end


@THROUGH_API
@given(raw=odd_times)
async def test_an_odd_time_is_a_typed_refusal_naming_the_argument(client: Any, raw: str) -> None:
    assume(not STRICT["Time"].fullmatch(raw))
    liva = await liva_id(client)
    payload = await client.execute("S", {"childId": liva, "t": raw}, query=TIME_MUTATION, as_=METTE)
    assert_refused(payload, "Time", "pickup")


@THROUGH_API
@given(raw=odd_dates)
async def test_an_odd_date_is_a_typed_refusal_naming_the_argument(client: Any, raw: str) -> None:
    assume(
        not STRICT["Date"].fullmatch(raw)
        or not first_day.isoformat() <= raw <= last_day.isoformat()
    )
    liva = await liva_id(client)
    payload = await client.execute(
        "P", {"childId": liva, "start": raw}, query=DATE_QUERY, as_=METTE
    )
    assert_refused(payload, "Date", "start")


@THROUGH_API
@given(raw=odd_instants)
async def test_an_odd_instant_is_a_typed_refusal_naming_the_argument(client: Any, raw: str) -> None:
    try:
        datetime.fromisoformat(raw.replace("Z", "+00:00"))
        assume(not STRICT["DateTime"].fullmatch(raw))
    except ValueError:
        pass
    iid = await solsikken(client)
    variables = {"institutionId": iid, "a": raw, "b": None}
    payload = await client.execute("A", variables, query=INSTANT_MUTATION, as_=SOLSIKKEN_ADMIN)
    assert_refused(payload, "DateTime", "startsAt")


async def test_the_issues_example_and_a_literal_name_their_field_in_the_callers_language(
    client: Any,
) -> None:
    liva = await liva_id(client)
    payload = await client.execute(
        "SetPickupPlan",
        {
            "childId": liva,
            "input": {"weekday": "MON", "leaveMode": "GUARDIAN", "pickup": "14:00:00Z"},
        },
        as_=METTE,
    )
    assert_refused(payload, "Time", "pickup")
    assert payload["errors"][0]["extensions"]["reason"] == "TIME_WITH_OFFSET"
    assert payload["errors"][0]["message"] == (
        "Et klokkeslæt er institutionens lokale tid og har ingen tidszone."
    )
    literal = (
        f'mutation L {{ setPickupPlan(childId: "{liva}", input: {{weekday: MON, '
        'leaveMode: GUARDIAN, arrival: "08:00", pickup: "14:00+02:00"}) { __typename } }'
    )
    payload = await client.execute("L", query=literal, as_=METTE)
    assert_refused(payload, "Time", "pickup")

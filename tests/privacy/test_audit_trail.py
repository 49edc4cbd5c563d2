"""The audit trail: every audited kind of write, made through the GraphQL API as the apps make
it (staff, guardian, admin), leaves exactly the expected rows with the changed columns before
and after (secrets redacted); a rolled-back change leaves none; admins read it page by page.

The table of cases covers every kind of app.privacy.audit.models.AuditKind, and every model
that declares `__audit__` belongs to one of them (`test_every_audited_model_has_a_case`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from app.api.ids import decode
from app.attendance.pickup.models import PickupCodeword
from app.core.audit import REDACTED
from app.core.runtime import Runtime
from app.db import Base, scope
from app.institutions.models import Child
from app.privacy.audit.models import AuditKind, AuditTrailEntry
from app.privacy.audit.service import recording
from app.root.models import load_all_models
from tests.attendance.plan_helpers import add_pickup_person, family, set_plan
from tests.attendance.presence_support import check_in, check_out
from tests.client import GraphQLClient
from tests.daybook.helpers import at, record
from tests.helpers import SOLSIKKEN_ADMIN
from tests.privacy.common import tenants
from tests.privacy.helpers import METTE, PERNILLE, RECORD, sign

SINCE = (datetime.now(UTC) - timedelta(days=1)).isoformat()
ADMIN = SOLSIKKEN_ADMIN


@dataclass(frozen=True)
class Row:
    """A trail row as a test compares it: who, what, and the changed columns."""

    email: str | None
    role: str
    kind: str
    action: str
    entity_type: str
    child_id: uuid.UUID
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    operation: str


async def trail_rows(runtime: Runtime, client: GraphQLClient) -> list[tuple[uuid.UUID, Row]]:
    from app.accounts.models import User

    async with runtime.sessions() as db:
        scope(db, institution_ids=await tenants(client), user_id=None)
        rows = (
            await db.execute(
                select(AuditTrailEntry, User.email)
                .outerjoin(User, User.id == AuditTrailEntry.user_id)
                .order_by(AuditTrailEntry.at, AuditTrailEntry.id)
            )
        ).all()
        found = [
            (
                entry.id,
                Row(
                    email,
                    entry.role,
                    entry.kind,
                    entry.action,
                    entry.entity_type,
                    entry.child_id,
                    entry.before,
                    entry.after,
                    entry.operation,
                ),
            )
            for entry, email in rows
        ]
        await db.rollback()
    return found


class Watch:
    """The rows one step added: `async with Watch(runtime, client) as new: ...; new.rows`."""

    def __init__(self, runtime: Runtime, client: GraphQLClient) -> None:
        self.runtime, self.client = runtime, client
        self.rows: list[Row] = []
        self._seen: set[uuid.UUID] = set()

    async def __aenter__(self) -> Watch:
        self._seen = {i for i, _ in await trail_rows(self.runtime, self.client)}
        return self

    async def __aexit__(self, *exc: Any) -> None:
        rows = await trail_rows(self.runtime, self.client)
        self.rows = [row for i, row in rows if i not in self._seen]


def child(global_id: str) -> uuid.UUID:
    return decode(global_id, "Child", field="c")


# --- the table of cases -------------------------------------------------------------------

Fixture = dict[str, Any]
Step = Callable[[GraphQLClient, Fixture], Awaitable[Any]]


@dataclass(frozen=True)
class Case:
    kind: AuditKind
    prepare: Step | None  # made before the watch starts (its rows are not counted)
    step: Step
    # (email, role, action, entity_type, before, after) of every row the step leaves
    expected: Callable[[Fixture], list[tuple[Any, ...]]]


def _ok(result: dict[str, Any], name: str) -> dict[str, Any]:
    value: dict[str, Any] = result[name]
    assert "__typename" not in value or not value["__typename"].endswith("Error"), value
    return value


async def _entry(client: GraphQLClient, f: Fixture) -> Any:
    made = await record(client, f["liva"], {"note": {"text": "Sov godt"}}, note="første")
    assert made["__typename"] == "DayEntry", made
    f["entry"] = made["id"]
    return made


async def _correct(client: GraphQLClient, f: Fixture) -> Any:
    done = await client.gql(
        "CorrectDayEntry",
        {
            "input": {
                "entryId": f["entry"],
                "at": at(11, 30),
                "details": {"note": {"text": "Sov godt"}},
                "note": "rettet",
            }
        },
        as_=PERNILLE,
    )
    return _ok(done, "correctDayEntry")


async def _check_in(client: GraphQLClient, f: Fixture) -> Any:
    done = await check_in(client, f["liva"], as_=PERNILLE)
    assert done["__typename"] == "PresenceChanged", done


async def _check_out(client: GraphQLClient, f: Fixture) -> Any:
    done = await check_out(
        client, f["liva"], picked_up_by={"guardianLinkId": f["liva_links"][METTE]}, as_=PERNILLE
    )
    assert done["__typename"] == "PresenceChanged", done


async def _absence(client: GraphQLClient, f: Fixture) -> Any:
    day = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    done = await client.gql(
        "RegisterAbsence",
        {"childId": f["liva"], "kind": "SICK", "fromDay": day, "untilDay": day, "note": "Feber"},
        as_=METTE,
    )
    return _ok(done, "registerAbsence")


async def _codeword(client: GraphQLClient, f: Fixture) -> Any:
    done = await client.gql(
        "SetPickupCodeword", {"childId": f["liva"], "codeword": "Blåbær"}, as_=METTE
    )
    return _ok(done, "setPickupCodeword")


async def _consent(client: GraphQLClient, f: Fixture) -> Any:
    done = await client.gql("SetPhotoConsent", {"childId": f["liva"], "level": "NONE"}, as_=METTE)
    return _ok(done, "setPhotoConsent")


async def _custody(client: GraphQLClient, f: Fixture) -> Any:
    done = await client.gql(
        "UpdateGuardianLink",
        {
            "input": {
                "guardianLinkId": f["liva_links"]["jonas@example.com"],
                "relation": "Far (bonus)",
            }
        },
        as_=ADMIN,
    )
    return _ok(done, "updateGuardianLink")


async def _rename(client: GraphQLClient, f: Fixture) -> Any:
    done = await client.gql(
        "UpdateChild", {"input": {"childId": f["liva"], "firstName": "Livia"}}, as_=ADMIN
    )
    return _ok(done, "updateChild")


async def _record(client: GraphQLClient, f: Fixture) -> Any:
    done = await client.gql(
        "SetChildRecord", {"childId": f["liva"], "input": {**RECORD, "diet": "Vegetar"}}, as_=METTE
    )
    return _ok(done, "setChildRecord")


CHECKED_OUT = (
    "checked_out_at",
    "checked_out_by",
    "picked_up_by_kind",
    "picked_up_by_user",
    "picked_up_by_name",
)


async def _person(client: GraphQLClient, f: Fixture) -> Any:
    f["person"] = await add_pickup_person(client, f["liva"], phone="+45 20 30 40 50")


async def _plan(client: GraphQLClient, f: Fixture) -> Any:
    done = await set_plan(client, f["liva"], weekday="MON", leaveMode="GUARDIAN")
    assert done["__typename"] != "ValidationError", done


async def _go_home_alone(client: GraphQLClient, f: Fixture) -> Any:
    done = await client.gql("SetGoHomeAlone", {"childId": f["liva"], "allowed": True}, as_=METTE)
    return _ok(done, "setGoHomeAlone")


async def _emergency(client: GraphQLClient, f: Fixture) -> Any:
    done = await client.gql(
        "AddEmergencyContact",
        {"childId": f["liva"], "input": {"name": "Morfar", "phone": "+45 20 30 40 50"}},
        as_=METTE,
    )
    return _ok(done, "addEmergencyContact")


async def _medication(client: GraphQLClient, f: Fixture) -> Any:
    done = await sign(client, f["liva"])
    assert done["__typename"] == "MedicationConsent", done


def _in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


async def _survey(client: GraphQLClient, f: Fixture) -> Any:
    period = {"firstDay": _in_days(30), "lastDay": _in_days(40), "deadline": _in_days(10)}
    opened = await client.gql(
        "OpenVacationSurvey",
        {"input": {"institutionId": f["institution"], "title": "Sommer", **period}},
        as_=ADMIN,
    )
    f["survey"] = _ok(opened, "openVacationSurvey")["id"]


async def _vacation(client: GraphQLClient, f: Fixture) -> Any:
    done = await client.gql(
        "AnswerVacationSurvey",
        {
            "surveyId": f["survey"],
            "childId": f["liva"],
            "days": [{"day": _in_days(31), "coming": False}],
        },
        as_=METTE,
    )
    return _ok(done, "answerVacationSurvey")


async def _remove_person(client: GraphQLClient, f: Fixture) -> Any:
    done = await client.gql("RemovePickupPerson", {"pickupPersonId": f["person"]}, as_=METTE)
    return _ok(done, "removePickupPerson")


async def _unlink(client: GraphQLClient, f: Fixture) -> Any:
    done = await client.gql(
        "RemoveGuardianLink", {"guardianLinkId": f["liva_links"]["jonas@example.com"]}, as_=ADMIN
    )
    return _ok(done, "removeGuardianLink")


async def _consent_again(client: GraphQLClient, f: Fixture) -> Any:
    done = await client.gql("SetPhotoConsent", {"childId": f["liva"], "level": "GROUP"}, as_=METTE)
    return _ok(done, "setPhotoConsent")


def _entry_after(f: Fixture) -> dict[str, Any]:
    return {"kind": "note", "note": "første", "version": 1, "deleted_at": None}


CASES: dict[str, Case] = {
    "day entry recorded (Core INSERT)": Case(
        AuditKind.DAY_ENTRIES,
        None,
        _entry,
        lambda f: [(PERNILLE, "STAFF", "create", "day_entries", None, _entry_after(f))],
    ),
    "day entry corrected": Case(
        AuditKind.DAY_ENTRIES,
        _entry,
        _correct,
        lambda f: [
            (
                PERNILLE,
                "STAFF",
                "update",
                "day_entries",
                {"note": "første", "version": 1},
                {"note": "rettet", "version": 2},
            )
        ],
    ),
    "checked in": Case(
        AuditKind.PRESENCE,
        None,
        _check_in,
        lambda f: [(PERNILLE, "STAFF", "create", "presences", None, {"checked_out_at": None})],
    ),
    "checked out": Case(
        AuditKind.PRESENCE,
        _check_in,
        _check_out,
        lambda f: [
            (
                PERNILLE,
                "STAFF",
                "update",
                "presences",
                dict.fromkeys(CHECKED_OUT),
                {**dict.fromkeys(CHECKED_OUT, "*"), "picked_up_by_kind": "guardian"},
            )
        ],
    ),
    "absence registered": Case(
        AuditKind.ABSENCES,
        None,
        _absence,
        lambda f: [(METTE, "GUARDIAN", "create", "absences", None, {"note": "Feber"})],
    ),
    "codeword set (redacted)": Case(
        AuditKind.PICKUP,
        None,
        _codeword,
        lambda f: [(METTE, "GUARDIAN", "create", "pickup_codewords", None, {"codeword": REDACTED})],
    ),
    "pickup plan set": Case(
        AuditKind.PICKUP,
        None,
        _plan,
        lambda f: [(METTE, "GUARDIAN", "create", "pickup_plans", None, {"leave_mode": "guardian"})],
    ),
    "go home alone allowed": Case(
        AuditKind.PICKUP,
        None,
        _go_home_alone,
        lambda f: [(METTE, "GUARDIAN", "create", "go_home_alone_permissions", None, {"note": ""})],
    ),
    "vacation answered": Case(
        AuditKind.ABSENCES,
        _survey,
        _vacation,
        lambda f: [(METTE, "GUARDIAN", "create", "vacation_answers", None, {"coming": False})],
    ),
    "emergency contact added": Case(
        AuditKind.CHILD_RECORD,
        None,
        _emergency,
        lambda f: [(METTE, "GUARDIAN", "create", "emergency_contacts", None, {"name": "Morfar"})],
    ),
    "medication consent signed": Case(
        AuditKind.CONSENT,
        None,
        _medication,
        lambda f: [(METTE, "GUARDIAN", "create", "medication_consents", None, {"dose": "250 mg"})],
    ),
    "photo consent answered": Case(
        AuditKind.CONSENT,
        None,
        _consent,
        lambda f: [(METTE, "GUARDIAN", "create", "photo_consents", None, {"level": "none"})],
    ),
    "photo consent changed": Case(
        AuditKind.CONSENT,
        _consent,
        _consent_again,
        lambda f: [
            (METTE, "GUARDIAN", "update", "photo_consents", {"level": "none"}, {"level": "group"})
        ],
    ),
    "pickup person removed": Case(
        AuditKind.PICKUP,
        _person,
        _remove_person,
        lambda f: [
            (
                METTE,
                "GUARDIAN",
                "delete",
                "pickup_persons",
                {"name": "Inge Holm", "relation": "mormor", "phone": "*"},
                None,
            )
        ],
    ),
    "guardian link removed": Case(
        AuditKind.CUSTODY,
        None,
        _unlink,
        lambda f: [
            (
                ADMIN,
                "ADMIN",
                "delete",
                "guardian_links",
                {"relation": "far", "has_custody": False},
                None,
            )
        ],
    ),
    "guardian link changed": Case(
        AuditKind.CUSTODY,
        None,
        _custody,
        lambda f: [
            (
                ADMIN,
                "ADMIN",
                "update",
                "guardian_links",
                {"relation": "far"},
                {"relation": "Far (bonus)"},
            )
        ],
    ),
    "child renamed": Case(
        AuditKind.ROSTER,
        None,
        _rename,
        lambda f: [
            (ADMIN, "ADMIN", "update", "children", {"first_name": "Liva"}, {"first_name": "Livia"})
        ],
    ),
    "child record set": Case(
        AuditKind.CHILD_RECORD,
        None,
        _record,
        lambda f: [(METTE, "GUARDIAN", "create", "child_records", None, {"diet": "Vegetar"})],
    ),
}


def _matches(expected: dict[str, Any] | None, actual: dict[str, Any] | None, whole: bool) -> bool:
    """Each expected column has its value ("*": any); `whole`: no other column changed."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if whole and set(expected) != set(actual):
        return False
    return all(
        key in actual and (value == "*" or actual[key] == value) for key, value in expected.items()
    )


@pytest.mark.parametrize("name", list(CASES))
async def test_each_audited_write_leaves_exactly_its_rows(client, runtime, name):
    case = CASES[name]
    f = await family(client)
    if case.prepare is not None:
        await case.prepare(client, f)
    async with Watch(runtime, client) as new:
        await case.step(client, f)
    expected = case.expected(f)
    assert len(new.rows) == len(expected), new.rows
    for row, (email, role, action, entity, before, after) in zip(new.rows, expected, strict=True):
        assert (row.email, row.role, row.kind, row.action, row.entity_type) == (
            email,
            role,
            case.kind.value,
            action,
            entity,
        ), row
        assert row.child_id == child(f["liva"]), row
        # An update holds exactly the changed columns; a create all of them (checked by value).
        assert _matches(before, row.before, whole=action == "update"), row
        assert _matches(after, row.after, whole=action == "update"), row
        assert row.operation and row.operation != "-", row


def test_every_audited_model_has_a_case():
    """A model marked `__audit__` without a case here fails: its rows are checked above."""
    load_all_models()
    audited = {
        mapper.local_table.name: mapper.class_.__audit__.kind
        for mapper in Base.registry.mappers
        if recording.rule_of(mapper.class_) is not None
    }
    assert set(audited.values()) == {k.value for k in AuditKind}
    cases = {row[3]: case.kind.value for case in CASES.values() for row in case.expected({})}
    assert cases == audited


async def test_a_refused_mutation_leaves_no_row(client, runtime):
    f = await family(client)
    async with Watch(runtime, client) as new:
        done = await client.gql(
            "UpdateChild", {"input": {"childId": f["liva"], "firstName": "X"}}, as_=PERNILLE
        )
        assert done["updateChild"]["__typename"].endswith("Error"), done
    assert new.rows == []


async def test_a_rolled_back_change_leaves_no_row_and_a_savepoint_only_its_own(client, runtime):
    f = await family(client)
    liva = child(f["liva"])
    from app.institutions.service import actor as actors

    ids = await tenants(client)
    async with Watch(runtime, client) as new, runtime.sessions() as db:
        scope(db, institution_ids=ids, user_id=None)
        admin = await _actor(db, actors, client)
        recording.begin(db, actor=admin, operation="Test")
        row = await db.get(Child, liva)
        assert row is not None
        row.first_name = "Rullet"
        await db.flush()
        await db.rollback()
    assert new.rows == []
    async with Watch(runtime, client) as new, runtime.sessions() as db:
        scope(db, institution_ids=ids, user_id=None)
        admin = await _actor(db, actors, client)
        recording.begin(db, actor=admin, operation="Test")
        row = await db.get(Child, liva)
        assert row is not None
        row.last_name = "Beholdt"
        await db.flush()
        nested = await db.begin_nested()
        row.first_name = "Rullet"
        await db.flush()
        await nested.rollback()
        await db.commit()
    assert [(r.action, r.after) for r in new.rows] == [("update", {"last_name": "Beholdt"})]


async def test_a_core_update_and_delete_on_the_session_are_audited(client, runtime):
    f = await family(client)
    liva = child(f["liva"])
    from app.institutions.service import actor as actors

    ids = await tenants(client)
    async with Watch(runtime, client) as new, runtime.sessions() as db:
        scope(db, institution_ids=ids, user_id=None)
        admin = await _actor(db, actors, client)
        recording.begin(db, actor=admin, operation="Test")
        await db.execute(update(Child).where(Child.id == liva).values(first_name="Kerne"))
        await db.commit()
    assert [(r.action, r.before, r.after) for r in new.rows] == [
        ("update", {"first_name": "Liva"}, {"first_name": "Kerne"})
    ]
    await _codeword(client, f)
    async with Watch(runtime, client) as new, runtime.sessions() as db:
        scope(db, institution_ids=ids, user_id=None)
        admin = await _actor(db, actors, client)
        recording.begin(db, actor=admin, operation="Test")
        await db.execute(delete(PickupCodeword).where(PickupCodeword.child_id == liva))
        await db.commit()
    assert [(r.action, r.entity_type, r.before and r.before["codeword"]) for r in new.rows] == [
        ("delete", "pickup_codewords", REDACTED)
    ]
    # An ORM bulk UPDATE by primary key: the rows it names, not the whole table.
    async with Watch(runtime, client) as new, runtime.sessions() as db:
        scope(db, institution_ids=ids, user_id=None)
        admin = await _actor(db, actors, client)
        recording.begin(db, actor=admin, operation="Test")
        await db.execute(update(Child), [{"id": liva, "first_name": "Bulk"}])
        await db.commit()
    assert [(r.action, r.child_id, r.before, r.after) for r in new.rows] == [
        ("update", liva, {"first_name": "Kerne"}, {"first_name": "Bulk"})
    ]


async def _actor(db: Any, actors: Any, client: GraphQLClient) -> Any:
    token = await client.token_for(ADMIN)
    actor = await actors.sign_in(db=db, token=token)
    assert actor is not None
    return actor

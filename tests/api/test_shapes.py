"""A ShapedActor (app/core/shapes.py) gives builders parameters, never values: whatever would
make a statement depend on a value of the actor raises, so a statement built for one actor is
never silently reused for another."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Uuid, select
from sqlalchemy.dialects import postgresql

from app.core.actor import Actor
from app.core.shapes import ShapedActor, ValueDependent, shape_of, variable
from app.institutions.models import Child


def _staff(institution: uuid.UUID | None = None) -> Actor:
    return Actor(
        user_id=uuid.uuid4(),
        name="Pernille",
        email="p@example.com",
        language="da",
        staff_of=frozenset({institution or uuid.uuid4()}),
        groups_staffed=frozenset({uuid.uuid4()}),
    )


def test_two_actors_of_one_shape_bind_their_own_values() -> None:
    first, second = _staff(), _staff()
    assert shape_of(first) == shape_of(second)
    shaped = ShapedActor(first)
    statement = select(Child.id).where(
        Child.institution_id.in_(shaped.employed_in), Child.id != shaped.user_id
    )
    sql = str(statement.compile(dialect=postgresql.dialect()))
    assert str(next(iter(first.staff_of))) not in sql and str(first.user_id) not in sql
    values = shaped.parameters.values_for(second)
    assert values["actor_staff_of_0"] == next(iter(second.staff_of))
    assert values["actor_user_id"] == second.user_id


def test_a_set_is_a_parameter_per_member_and_its_size_is_the_shape() -> None:
    """No IN list is expanded per request: a set of two is two parameters (a union lists its
    parts'), a set of three another shape; an empty set matches no row."""
    one, two = uuid.uuid4(), uuid.uuid4()
    actor = Actor(
        user_id=uuid.uuid4(),
        name="A",
        email="a@example.com",
        language="da",
        admin_of=frozenset({one}),
        staff_of=frozenset({one, two}),
    )
    shaped = ShapedActor(actor)
    statement = select(Child.id).where(
        Child.institution_id.in_(shaped.employed_in),
        Child.institution_id.not_in(shaped.guardian_institutions),
    )
    sql = str(statement.compile(dialect=postgresql.dialect()))
    members = "%(actor_admin_of_0)s::UUID, %(actor_staff_of_0)s::UUID, %(actor_staff_of_1)s::UUID"
    assert "POSTCOMPILE" not in sql and f"IN ({members})" in sql
    assert "NOT IN (SELECT CAST(NULL AS UUID)" in sql and "WHERE false" in sql
    values = shaped.parameters.values_for(actor)
    assert values["actor_admin_of_0"] == one
    assert [values["actor_staff_of_0"], values["actor_staff_of_1"]] == sorted([one, two])
    bigger = Actor(**{**actor.__dict__, "staff_of": frozenset({one, two, uuid.uuid4()})})
    assert shape_of(bigger) != shape_of(actor)
    assert shape_of(bigger, sizes=False) == shape_of(actor, sizes=False)


def test_an_admin_is_another_shape_than_staff() -> None:
    staff = _staff()
    admin = Actor(
        user_id=uuid.uuid4(),
        name="A",
        email="a@example.com",
        language="da",
        admin_of=frozenset({uuid.uuid4()}),
    )
    assert shape_of(staff) != shape_of(admin)


@pytest.mark.parametrize(
    "look",
    [
        lambda a: list(a.staff_of),
        lambda a: len(a.staff_of),
        lambda a: uuid.uuid4() in a.employed_in,
        lambda a: a.staff_of == a.admin_of,
        lambda a: {a.staff_of},
        lambda a: str(a.user_id),
        lambda a: f"{a.name}",
        lambda a: {a.user_id: 1},
        lambda a: a.children,
        lambda a: a.works_in(uuid.uuid4()),
        lambda a: a.tenant_ids,
    ],
)
def test_looking_at_a_value_raises(look: object) -> None:
    shaped = ShapedActor(_staff())
    with pytest.raises((ValueDependent, TypeError)):
        look(shaped)  # type: ignore[operator]


def test_a_sql_comparison_is_never_a_python_bool() -> None:
    shaped = ShapedActor(_staff())
    someone = uuid.uuid4()
    for comparison in (
        shaped.user_id == someone,
        someone == shaped.user_id,
        someone != shaped.user_id,
    ):
        with pytest.raises((ValueDependent, TypeError)):
            bool(comparison)
    # In SQL it is a comparison with the parameter, from either side.
    sql = str(select(Child.id).where(shaped.user_id == Child.id).compile())
    assert ":actor_user_id" in sql


def test_a_bound_variable_is_read_from_each_requests_variables() -> None:
    """`variable`: a parameter read from the request's variables for a ShapedActor (so one
    statement serves every value), the value itself for a real actor; never a Python value."""
    actor = _staff()
    liva, oscar = uuid.uuid4(), uuid.uuid4()
    shaped = ShapedActor(actor)

    def read(variables: dict[str, uuid.UUID]) -> uuid.UUID:
        return variables["child"]

    child = variable(shaped, "child", liva, read, Uuid)
    sql = str(select(Child.id).where(Child.id == child).compile(dialect=postgresql.dialect()))
    assert str(liva) not in sql
    assert shaped.parameters.values_for(actor, {"child": oscar})["variable_child"] == oscar
    with pytest.raises(ValueDependent):
        shaped.parameters.values_for(actor)  # a statement that binds variables needs them
    for look in (bool, hash, str, lambda v: v == liva and True):
        with pytest.raises(ValueDependent):
            look(child)
    assert variable(actor, "child", liva, read, Uuid) is liva

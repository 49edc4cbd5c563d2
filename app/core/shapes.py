"""An actor whose values are bound parameters, so that a compiled document's statement is built
once per *shape* of actor and reused for every actor of that shape (app/api/compiled.py).

Building the SQL expression tree of a compiled document costs more than running it, and only
the actor's values (ids, names) differ between two parents asking the same document. A
`ShapedActor` hands the builders those values as named bind parameters; what decides the
statement's structure (how many members each set has, one parameter each; the session's kind;
the device's role) is the shape, part of the cache key. Anything that would make the structure
depend on a value (a membership test in Python, iterating a set, printing an id) raises
`ValueDependent`, and the document is then built per request from the real actor, as before:
never a wrong reuse."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Mapping
from functools import lru_cache
from typing import Any, NoReturn

from sqlalchemy import (
    Text,
    Uuid,
    bindparam,
    cast,
    false,
    func,
    literal_column,
    null,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine

from app.core.actor import Actor


class ValueDependent(Exception):
    """The builder looked at a value of the actor: its statement is not the same per shape."""


Derive = Callable[[Actor], Any]
ReadVariable = Callable[[Mapping[str, Any]], Any]

SETS: dict[str, Callable[[Actor], frozenset[uuid.UUID]]] = {
    "admin_of": lambda a: a.admin_of,
    "staff_of": lambda a: a.staff_of,
    "groups_staffed": lambda a: a.groups_staffed,
    "municipality_admin_of": lambda a: a.municipality_admin_of,
    "municipality_institutions": lambda a: a.municipality_institutions,
    "guardian_of": lambda a: a.guardian_of,
    "guardian_institutions": lambda a: a.guardian_institutions,
    "guarded_groups": lambda a: a.guarded_groups,
}
VALUES: dict[str, Derive] = {
    "user_id": lambda a: a.user_id,
    "name": lambda a: a.name,
    "email": lambda a: a.email,
    "language": lambda a: a.language,
    "phone": lambda a: a.phone,
    "session_id": lambda a: a.session_id,
    "device_id": lambda a: a.device_id,
    "device_institution_id": lambda a: a.device.institution_id if a.device else None,
}


VALUE_TYPES: dict[str, Any] = {
    "user_id": Uuid,
    "name": Text,
    "email": Text,
    "language": Text,
    "phone": Text,
    "session_id": Uuid,
    "device_id": Uuid,
    "device_institution_id": Uuid,
}


def shape_of(actor: Actor, *, sizes: bool = True) -> Hashable:
    """What a statement built from a `ShapedActor` depends on besides its parameters: with
    `sizes`, how many members each of the actor's sets has (one parameter each); without,
    only which are empty (a statement for many actors reads its sets from a row: `rows`)."""
    return (
        actor.session_kind,
        actor.device.role if actor.device else None,
        tuple(read(actor) is None for read in VALUES.values()),
        tuple(len(read(actor)) if sizes else bool(read(actor)) for read in SETS.values()),
    )


class _Parameters:
    """The parameters a build used, by name, with how to read each from an actor.

    `rows`: instead of bind parameters, the columns of a row source of that name, one row per
    actor (`SELECT … FROM (VALUES …) AS rows`): one statement then answers many actors of one
    shape (app.messaging.service.badge)."""

    def __init__(self, rows: str | None = None) -> None:
        self.rows = rows
        self.derive: dict[str, Derive] = {}
        self.types: dict[str, Any] = {}
        self.read: dict[str, ReadVariable] = {}

    def use(self, name: str, derive: Derive, type_: Any) -> str:
        self.derive.setdefault(name, derive)
        self.types.setdefault(name, type_)
        return name

    def use_variable(self, name: str, read: ReadVariable, type_: Any) -> str:
        self.read.setdefault(name, read)
        self.types.setdefault(name, type_)
        return name

    def values_for(
        self, actor: Actor, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        values = {name: derive(actor) for name, derive in self.derive.items()}
        if self.read:
            if variables is None:
                raise ValueDependent("the statement binds the request's variables")
            values.update((name, read(variables)) for name, read in self.read.items())
        return values

    def set_sql(self, name: str) -> Any:
        """A set read from the row source's column of arrays (`rows`)."""
        return select(func.unnest(literal_column(f"{self.rows}.{name}"))).scalar_subquery()

    def value_sql(self, name: str, type_: Any) -> Any:
        if self.rows is None:
            return bindparam(name, type_=type_)
        return literal_column(f"{self.rows}.{name}", type_)


def _value_dependent(*_: Any) -> NoReturn:
    raise ValueDependent("the statement would depend on a value of the actor")


class ParamSet:
    """A set of ids of the actor: in SQL one bind parameter per member, its size being part of
    the shape (in one statement for many actors, `rows`, a column of arrays); its members are
    not known. A union lists its parts' members one after the other: a member in two parts is
    in the IN list twice, which changes nothing."""

    def __init__(
        self, parameters: _Parameters, name: str, derive: Derive, sizes: dict[str, int]
    ) -> None:
        self._parameters, self._name, self._derive, self._sizes = parameters, name, derive, sizes

    def __bool__(self) -> bool:
        return any(self._sizes.values())

    def __or__(self, other: object) -> ParamSet:
        if not isinstance(other, ParamSet):
            _value_dependent()
        names = sorted({*self._name.split("|"), *other._name.split("|")})
        left, right = self._derive, other._derive
        return ParamSet(
            self._parameters,
            "|".join(names),
            lambda a: frozenset(left(a)) | frozenset(right(a)),
            {**self._sizes, **other._sizes},
        )

    __ror__ = __or__

    def __clause_element__(self) -> Any:
        if self._parameters.rows is not None:
            derive = self._derive
            name = self._parameters.use(
                "actor_" + self._name.replace("|", "_or_"),
                lambda a: sorted(derive(a)),
                ARRAY(Uuid),
            )
            return self._parameters.set_sql(name)
        members = [
            self._parameters.value_sql(
                self._parameters.use(f"actor_{name}_{n}", _member(name, n), Uuid), Uuid
            )
            for name, size in sorted(self._sizes.items())
            for n in range(size)
        ]
        if not members:  # IN nothing: no row (NOT IN nothing: every row)
            return select(cast(null(), Uuid)).where(false())
        return tuple_(*members)

    # Comparing two sets in Python would be a value's answer too (never a silent False).
    __iter__ = __len__ = __contains__ = __and__ = __sub__ = _value_dependent  # type: ignore[assignment]
    __eq__ = __ne__ = __hash__ = _value_dependent  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<ParamSet {self._name}>"


def _member(name: str, n: int) -> Derive:
    """The actor's n-th member, in order, of the set `name` (its size is the shape's)."""
    read = SETS[name]
    return lambda actor: _ordered(read(actor))[n]


@lru_cache(maxsize=1024)
def _ordered(members: frozenset[uuid.UUID]) -> tuple[uuid.UUID, ...]:
    """A set's members in order, sorted once for all of its parameters (the actor's sets are
    the same objects for every parameter of a request)."""
    return tuple(sorted(members))


class _SqlOnly:
    """A value that exists only as a bind parameter: usable in SQL, refused in Python."""

    def __clause_element__(self) -> Any:
        raise NotImplementedError

    # A SQL comparison, never a Python bool: SQLAlchemy's own `==` answers bool() by comparing
    # hashes, which would quietly be False for `some_id == actor.user_id` in Python.
    def __eq__(self, other: object) -> Any:
        return _Comparison(self.__clause_element__() == other)

    def __ne__(self, other: object) -> Any:
        return _Comparison(self.__clause_element__() != other)

    __hash__ = __str__ = __format__ = __bool__ = __lt__ = __gt__ = _value_dependent  # type: ignore[assignment]


class ParamValue(_SqlOnly):
    """One value of the actor (an id, a name): a bind parameter in SQL, nothing in Python."""

    def __init__(self, parameters: _Parameters, name: str, derive: Derive) -> None:
        self._parameters, self._name, self._derive = parameters, name, derive

    def bind(self, type_: TypeEngine[Any] | type[TypeEngine[Any]] | None = None) -> Any:
        name = self._parameters.use("actor_" + self._name, self._derive, VALUE_TYPES[self._name])
        return self._parameters.value_sql(name, type_ or VALUE_TYPES[self._name])

    def __clause_element__(self) -> Any:
        return self.bind()

    def __repr__(self) -> str:
        return f"<ParamValue {self._name}>"


class BoundVariable(_SqlOnly):
    """A value taken from the request's variables (the child asked about): a bind parameter
    read from each request's variables, nothing in Python, as ParamValue is for the actor's."""

    def __init__(self, parameters: _Parameters, name: str, read: ReadVariable, type_: Any) -> None:
        self._parameters, self._name, self._read, self._type = parameters, name, read, type_

    def __clause_element__(self) -> Any:
        name = self._parameters.use_variable("variable_" + self._name, self._read, self._type)
        return self._parameters.value_sql(name, self._type)

    def __repr__(self) -> str:
        return f"<BoundVariable {self._name}>"


def variable(actor: Any, name: str, value: Any, read: ReadVariable, type_: Any) -> Any:
    """`value`, taken from the variable `name` by `read(variables)`: for a `ShapedActor`, a
    parameter read afresh from each request that reuses the statement (the form then names the
    variable in its `bound_variables`, so that its value is no part of the statement's key);
    for a real actor, the value itself."""
    if not isinstance(actor, ShapedActor):
        return value
    if actor.parameters.rows is not None:
        _value_dependent()  # one statement for many actors: no single request's variables
    return BoundVariable(actor.parameters, name, read, type_)


class _Comparison:
    """A comparison with an actor's value: usable in SQL, refused as a Python bool."""

    def __init__(self, expression: Any) -> None:
        self._expression = expression

    def __clause_element__(self) -> Any:
        return self._expression

    def __and__(self, other: object) -> Any:
        return self._expression & other

    def __or__(self, other: object) -> Any:
        return self._expression | other

    def __invert__(self) -> Any:
        return ~self._expression

    __bool__ = _value_dependent


class _ShapedDevice:
    def __init__(self, device_id: Any, institution_id: Any, role: str) -> None:
        self.device_id, self.institution_id, self.role = device_id, institution_id, role


class ShapedActor:
    """Stands in for `Actor` while a compiled document's statement is built (see the module)."""

    def __init__(self, actor: Actor, *, rows: str | None = None) -> None:
        self.parameters = _Parameters(rows)
        self.session_kind = actor.session_kind
        self.may_only_enrol = actor.may_only_enrol
        self.is_bare_device = actor.is_bare_device
        sets = {name: self._set(name, actor) for name in SETS}
        self.admin_of = sets["admin_of"]
        self.staff_of = sets["staff_of"]
        self.groups_staffed = sets["groups_staffed"]
        self.municipality_admin_of = sets["municipality_admin_of"]
        self.municipality_institutions = sets["municipality_institutions"]
        self.guardian_of = sets["guardian_of"]
        self.guardian_institutions = sets["guardian_institutions"]
        self.guarded_groups = sets["guarded_groups"]
        values = {name: self._value(name, actor) for name in VALUES}
        self.user_id = values["user_id"]
        self.name = values["name"]
        self.email = values["email"]
        self.language = values["language"]
        self.phone = values["phone"]
        self.session_id = values["session_id"]
        self.device_id = values["device_id"]
        self.device = (
            _ShapedDevice(self.device_id, values["device_institution_id"], actor.device.role)
            if actor.device
            else None
        )

    def _set(self, name: str, actor: Actor) -> ParamSet:
        return ParamSet(self.parameters, name, SETS[name], {name: len(SETS[name](actor))})

    def _value(self, name: str, actor: Actor) -> ParamValue | None:
        # A value the actor does not have is part of the shape: the builders see None.
        if VALUES[name](actor) is None:
            return None
        return ParamValue(self.parameters, name, VALUES[name])

    @property
    def employed_in(self) -> ParamSet:
        return self.admin_of | self.staff_of

    @property
    def institution_ids(self) -> ParamSet:
        return self.employed_in | self.guardian_institutions | self.municipality_institutions

    @property
    def tenant_ids(self) -> Any:
        _value_dependent()

    # What Actor answers from values: not knowable from a shape.
    children = property(_value_dependent)
    is_admin = works_in = roles_in = is_kiosk_of = _value_dependent


def bound(value: Any, type_: TypeEngine[Any] | type[TypeEngine[Any]]) -> Any:
    """`literal(value, type_)` that keeps a `ShapedActor`'s value a parameter."""
    from sqlalchemy import literal

    if isinstance(value, ParamValue):
        return value.bind(type_)
    return literal(value, type_)


def per_request(
    actor: Any,
    name: str,
    value: Callable[[], Any],
    type_: TypeEngine[Any] | type[TypeEngine[Any]],
) -> Any:
    """A value of the request that is not the actor's (the clock's "now"): in a statement
    built from a `ShapedActor`, a bind parameter read afresh for every request that reuses
    it; else the value itself, as a literal."""
    from sqlalchemy import literal

    if isinstance(actor, ShapedActor):
        if actor.parameters.rows is not None:
            _value_dependent()  # one statement for many actors: no single request's value
        key = actor.parameters.use("request_" + name, lambda _: value(), type_)
        return actor.parameters.value_sql(key, type_)
    return literal(value(), type_)

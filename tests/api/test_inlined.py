"""A compiled statement's constants written into its text (app/api/inlined.py): quoted so
that no value can end its literal, cast as the parameter was, and nothing of the actor's or of
a cursor's written in; on PostgreSQL the inlined statement answers what the bound one does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Text, bindparam, column, func, literal, select, table
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from app.api.inlined import inline_constants
from tests.conftest import is_postgres

POSTGRESQL = PGDialect_asyncpg()
ODD = ["it's", "Forældre i ", "a\nb", "", "'; SELECT 1; --", '"quoted"', "$1 :name %s"]


def _sql(statement: object) -> tuple[str, list[str]]:
    compiled = statement.compile(dialect=POSTGRESQL)  # type: ignore[attr-defined]
    return compiled.string, list(compiled.positiontup or ())


def test_constants_are_written_in_quoted_and_cast() -> None:
    statement = select(
        literal("it's", Text), literal(7), literal(None, Text), literal(True), literal(-3)
    )
    sql, binds = _sql(inline_constants(statement))
    assert binds == []
    assert "'it''s'::VARCHAR" in sql
    assert "7::INTEGER" in sql and "(-3)::INTEGER" in sql
    assert "NULL::VARCHAR" in sql and "true::BOOLEAN" in sql


def test_the_actors_values_a_cursors_and_a_backslash_stay_bound() -> None:
    things = table("things", column("id"), column("at"), column("name"))
    statement = (
        select(things.c.name, func.concat(things.c.name, "\\n"))
        .where(
            things.c.id == bindparam("actor_user_id"),
            things.c.id.in_(bindparam("actor_ids", expanding=True)),
            things.c.at < datetime(2026, 1, 1, tzinfo=UTC),
            things.c.id != uuid.UUID(int=1),
        )
        .limit(21)
    )
    sql, binds = _sql(inline_constants(statement))
    assert binds == ["concat_2", "actor_user_id", "actor_ids", "at_1", "id_1"]
    assert "LIMIT 21::INTEGER" in sql


@pytest.mark.skipif(not is_postgres(), reason="the literals are PostgreSQL's")
async def test_inlined_answers_as_bound(connection: AsyncConnection) -> None:
    statement = select(
        func.json_build_array(*(literal(value, Text) for value in ODD), literal(20) + 1)
    )
    inlined = inline_constants(statement)
    assert _sql(inlined)[1] == []
    bound = (await connection.execute(statement)).scalar_one()
    assert (await connection.execute(inlined)).scalar_one() == bound == [*ODD, 21]

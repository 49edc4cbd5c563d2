"""The second wall: PostgreSQL row-level security holds even when a service forgets to filter."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text

from app.accounts.models import User
from app.api.ids import try_decode
from app.db import rescope, session_factory
from app.institutions.models import Child, GuardianLink, Institution
from app.institutions.service import actor as institutions
from app.root.models import tenant_tables
from tests.conftest import APP_ROLE, is_postgres
from tests.helpers import institution_id

pytestmark = pytest.mark.skipif(not is_postgres(), reason="row-level security is PostgreSQL's")


async def _actor(session, email: str):
    user = await session.scalar(select(User).where(User.email_key == email))
    return await institutions.load_actor(db=session, user=user, session=None)


async def test_an_unscoped_select_returns_only_the_actors_institutions(runtime):
    async with runtime.sessions() as session:
        actor = await _actor(session, "admin@regnbuen.example")
        # Deliberately no WHERE: the database must still hold the line.
        children = (await session.scalars(select(Child))).all()
        institutions_seen = {row.id for row in (await session.scalars(select(Institution))).all()}
        assert children and {c.institution_id for c in children} == set(actor.admin_of)
        assert institutions_seen == set(actor.admin_of)
        links = (await session.scalars(select(GuardianLink))).all()
        assert {link.institution_id for link in links} == set(actor.admin_of)


async def test_a_guardians_scope_covers_both_institutions_of_her_children(runtime):
    async with runtime.sessions() as session:
        actor = await _actor(session, "mette@example.com")
        names = {row.name for row in (await session.scalars(select(Institution))).all()}
        assert names == {"Solsikken", "Regnbuen"} and len(actor.institution_ids) == 2


async def test_no_scope_sees_nothing_and_cannot_write(runtime):
    async with runtime.sessions() as session:
        await rescope(session, institution_ids=(), user_id=None)
        assert (await session.scalars(select(Child))).all() == []
        regnbuen = await session.execute(text("SELECT count(*) FROM institutions"))
        assert regnbuen.scalar() == 0


async def test_the_scope_ends_with_the_transaction(engine):
    # A connection of its own (not the test's outer transaction): what a pooled connection sees.
    async with engine.connect() as connection:
        async with session_factory(connection)() as session:
            actor = await _actor(session, "admin@regnbuen.example")
            inside = await session.scalar(
                text("SELECT current_setting('seddel.institution_ids', true)")
            )
            assert inside == ",".join(sorted(str(i) for i in actor.institution_ids))
            await session.commit()
        after = await connection.scalar(
            text("SELECT current_setting('seddel.institution_ids', true)")
        )
        await connection.rollback()
    assert after in (None, "")


async def test_writing_into_another_tenant_is_refused_by_the_database(runtime):
    from sqlalchemy.exc import DBAPIError

    async with runtime.sessions() as session:
        await _actor(session, "admin@regnbuen.example")
        other = await session.scalar(
            text("SELECT id FROM groups LIMIT 1")
        )  # a Regnbuen group: the only ones visible
        solsikken_child = Child(
            institution_id=other,  # a group id is no institution: any foreign id will do
            first_name="X",
            last_name="Y",
            birth_date=__import__("datetime").date(2020, 1, 1),
            active_from=__import__("datetime").date(2024, 1, 1),
        )
        session.add(solsikken_child)
        with pytest.raises(DBAPIError):
            await session.flush()


async def test_catalogue_every_tenant_table_has_rls_enabled_and_forced(connection):
    rows = (
        await connection.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, c.relispartition"
                " FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " JOIN information_schema.columns col ON col.table_name = c.relname"
                "  AND col.table_schema = n.nspname AND col.column_name = 'institution_id'"
                " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
            )
        )
    ).all()
    # A partition (the access log's months) is a table of its own, reachable directly: it
    # must hold the wall too, though no model names it.
    tables = {row.relname for row in rows if not row.relispartition}
    assert tables == {t.name for t in tenant_tables()}
    missing = [row.relname for row in rows if not (row.relrowsecurity and row.relforcerowsecurity)]
    assert missing == [], f"tables without ENABLE+FORCE ROW LEVEL SECURITY: {missing}"
    policies = set((await connection.execute(text("SELECT tablename FROM pg_policies"))).scalars())
    assert {row.relname for row in rows} <= policies


async def test_catalogue_the_app_role_cannot_bypass_rls(connection):
    current = await connection.scalar(text("SELECT current_user"))
    assert current == APP_ROLE
    role = (
        await connection.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        )
    ).one()
    assert not role.rolsuper and not role.rolbypassrls
    owned = await connection.scalar(
        text(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )
    )
    assert owned == 0


class _ScopeLog:
    """The tenant settings each transaction on the test's connection was given: by a
    set_config statement, or by the sign-in statement itself (read back right after it)."""

    PROBE = (
        "SELECT current_setting('seddel.institution_ids', true),"
        " current_setting('seddel.user_id', true)"
    )

    def __init__(self, connection) -> None:
        self.scopes: list[tuple[str, str]] = []
        self._sync = connection.sync_connection
        event.listen(self._sync, "before_cursor_execute", self._seen)
        event.listen(self._sync, "after_cursor_execute", self._signed_in)

    def _seen(self, _conn, _cursor, statement, parameters, _context, _many) -> None:
        if "set_config('seddel.institution_ids'" in statement:
            values = list(parameters.values()) if isinstance(parameters, dict) else parameters
            self.scopes.append((str(values[0]), str(values[1])))

    def _signed_in(self, conn, _cursor, statement, _parameters, _context, _many) -> None:
        if "seddel_sign_in(" in statement:
            ids, user = conn.exec_driver_sql(self.PROBE).one()
            self.scopes.append((",".join(sorted(filter(None, (ids or "").split(",")))), user))

    def close(self) -> None:
        event.remove(self._sync, "before_cursor_execute", self._seen)
        event.remove(self._sync, "after_cursor_execute", self._signed_in)


async def _ids_of(runtime, email: str) -> tuple[str, str]:
    async with runtime.sessions() as session:
        actor = await _actor(session, email)
        await session.commit()
    return ",".join(sorted(str(i) for i in actor.tenant_ids)), str(actor.user_id)


@pytest.mark.parametrize(
    "email", ["mette@example.com", "admin@solsikken.example", "pernille@solsikken.example"]
)
async def test_a_request_runs_in_exactly_the_actors_tenants(client, runtime, connection, email):
    expected = await _ids_of(runtime, email)
    await client.token_for(email)
    log = _ScopeLog(connection)
    try:
        me = await client.gql("Me", as_=email)
    finally:
        log.close()
    assert me["me"]["email"] == email
    # The sign-in reads the session and the roles; from then on the request runs in the
    # actor's tenants, the list the visibility rules use, and nothing more.
    assert log.scopes, "no transaction was scoped"
    assert log.scopes[-1] == expected
    assert {scope[0] for scope in log.scopes[1:]} <= {expected[0], ""}


async def test_a_paired_device_runs_in_its_institution_only(client, connection):
    from tests.attendance.presence_support import pair

    solsikken = try_decode(await institution_id(client, "admin@solsikken.example"))
    assert solsikken is not None
    tablet = await pair(client, "KIOSK")
    log = _ScopeLog(connection)
    try:
        await client.execute("Me", token=tablet["token"])
    finally:
        log.close()
    assert log.scopes[-1][0] == str(solsikken[1])

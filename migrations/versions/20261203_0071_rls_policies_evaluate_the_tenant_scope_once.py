"""Row-level security that costs little: every policy reads the tenant scope once per statement.

The policies compared each row with `seddel_tenants()` (and `seddel_user()`): PostgreSQL inlines
those SQL functions into the row filter, so every row parsed the setting string into a uuid[]
again, and the planner, seeing an expression it cannot estimate, guessed one row per table and
chose nested loops over sequential scans. Written as scalar subqueries, `(SELECT
seddel_tenants())` becomes an InitPlan: evaluated once per statement, a parameter that an index
condition can use. The policies mean exactly what they meant (the same functions, the same
comparisons); only when the functions run changes.

Every `tenant_isolation` policy is rewritten, whichever migration created it, provided it has one
of the two known shapes (tenant rows; tenant rows or the user's own rows); an unknown shape
stops the migration rather than being guessed at. tests/security/test_rls_plans.py holds every
policy to the new form and the hot statements to index scans.

Revision ID: 0071
Revises: 0061
Create Date: 2026-12-03 13:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0071'
down_revision: str | None = '0061'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SLOW = {"tenants": "seddel_tenants()", "user": "seddel_user()"}
FAST = {"tenants": "(SELECT seddel_tenants())::uuid[]", "user": "(SELECT seddel_user())"}
# How PostgreSQL prints the policies of the earlier migrations (pg_policies.qual).
SLOW_TENANT_ROWS = "(institution_id = ANY (seddel_tenants()))"
SLOW_OWN_ROWS = "((institution_id = ANY (seddel_tenants())) OR (user_id = seddel_user()))"


def _tenant_rows(f: dict[str, str]) -> str:
    return f"institution_id = ANY ({f['tenants']})"


def _own_rows(f: dict[str, str]) -> str:
    return f"{_tenant_rows(f)} OR user_id = {f['user']}"


def _institutions(f: dict[str, str]) -> str:
    return (
        f"id = ANY ({f['tenants']}) OR municipality_id IN"
        f" (SELECT municipality_id FROM municipality_admins WHERE user_id = {f['user']})"
    )


def _policies() -> list[tuple[str, str]]:
    rows = op.get_bind().execute(
        sa.text(
            "SELECT tablename, qual FROM pg_policies WHERE schemaname = current_schema()"
            " AND policyname = 'tenant_isolation' AND tablename <> 'institutions'"
            " ORDER BY tablename"
        )
    )
    return [(row.tablename, row.qual) for row in rows]


def _rewrite(f: dict[str, str], *, own_rows: dict[str, bool]) -> None:
    for table, owns in own_rows.items():
        using = _own_rows(f) if owns else _tenant_rows(f)
        op.execute(
            f"ALTER POLICY tenant_isolation ON {table}"
            f" USING ({using}) WITH CHECK ({_tenant_rows(f)})"
        )
    op.execute(
        "ALTER POLICY tenant_isolation ON institutions"
        f" USING ({_institutions(f)}) WITH CHECK (id = ANY ({f['tenants']}))"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    own_rows = {}
    for table, qual in _policies():
        if qual not in (SLOW_TENANT_ROWS, SLOW_OWN_ROWS):
            raise RuntimeError(f"tenant_isolation on {table} has an unknown shape: {qual}")
        own_rows[table] = qual == SLOW_OWN_ROWS
    _rewrite(FAST, own_rows=own_rows)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rewrite(SLOW, own_rows={table: "seddel_user" in qual for table, qual in _policies()})

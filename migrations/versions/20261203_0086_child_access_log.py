"""The access log of children's personal data (issue 15): one row per (actor, child, kind,
request). On PostgreSQL the table is partitioned by month of `accessed_at`; a SECURITY
DEFINER function (owned by the tables' owner, callable by the application role) creates the
coming months' partitions and drops whole partitions past the retention, so the application
role needs no DDL rights and the log is never thinned by DELETE. A DEFAULT partition takes a
row whose month has no partition yet (the worker did not run): a read is never refused for
want of a partition. On SQLite a plain table whose retention deletes rows.

Revision ID: 0086
Revises: 0085
Create Date: 2026-12-03 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0086"
down_revision: str | None = "0085"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_ROWS = "institution_id = ANY ((SELECT seddel_tenants())::uuid[])"

# Creates the partitions of this month and `months_ahead` more, each with the tenant policy
# (a partition is a table of its own: reached directly, it must hold the same wall), and drops
# every monthly partition whose rows are all older than `keep_months` whole months. Returns the
# number of partitions dropped. The floor of six months is enforced here too, not only in the
# settings: no caller can shorten the log below what the law asks.
PARTITIONS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION seddel_access_log_partitions(months_ahead integer, keep_months integer)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    this_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    cutoff date;
    month date;
    partition_name text;
    dropped integer := 0;
    existing record;
BEGIN
    IF keep_months < 6 THEN
        RAISE EXCEPTION 'the access log is kept at least 6 months, not %', keep_months;
    END IF;
    FOR i IN 0..greatest(months_ahead, 0) LOOP
        month := (this_month + make_interval(months => i))::date;
        partition_name := 'child_access_log_p' || to_char(month, 'YYYY_MM');
        IF to_regclass(partition_name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF child_access_log FOR VALUES FROM (%L) TO (%L)',
                partition_name,
                month::timestamp AT TIME ZONE 'UTC',
                (month + interval '1 month')::timestamp AT TIME ZONE 'UTC'
            );
            EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', partition_name);
            EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', partition_name);
            EXECUTE format(
                'CREATE POLICY tenant_isolation ON %I'
                ' USING ({TENANT_ROWS}) WITH CHECK ({TENANT_ROWS})',
                partition_name
            );
        END IF;
    END LOOP;
    cutoff := (this_month - make_interval(months => keep_months))::date;
    FOR existing IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'child_access_log'::regclass
          AND c.relname ~ '^child_access_log_p[0-9]{{4}}_[0-9]{{2}}$'
    LOOP
        month := to_date(substring(existing.relname from 19), 'YYYY_MM');
        IF month + interval '1 month' <= cutoff THEN
            EXECUTE format('DROP TABLE %I', existing.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END
$$
"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "child_access_log",
        sa.Column("accessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_key", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint(
            "accessed_at", "request_key", "child_id", "kind", name=op.f("pk_child_access_log")
        ),
        postgresql_partition_by="RANGE (accessed_at)",
    )
    op.create_index(
        "ix_child_access_log_child",
        "child_access_log",
        ["institution_id", "child_id", "accessed_at"],
    )
    op.create_index(
        "ix_child_access_log_user", "child_access_log", ["institution_id", "user_id", "accessed_at"]
    )
    if not postgres:
        return
    op.execute("ALTER TABLE child_access_log ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE child_access_log FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON child_access_log"
        f" USING ({TENANT_ROWS}) WITH CHECK ({TENANT_ROWS})"
    )
    op.execute("CREATE TABLE child_access_log_pdefault PARTITION OF child_access_log DEFAULT")
    op.execute("ALTER TABLE child_access_log_pdefault ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE child_access_log_pdefault FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON child_access_log_pdefault"
        f" USING ({TENANT_ROWS}) WITH CHECK ({TENANT_ROWS})"
    )
    op.execute(PARTITIONS_FUNCTION)
    # The months before the worker first runs: this one and three more (keep_months is moot
    # here: a new table has nothing to drop).
    op.execute("SELECT seddel_access_log_partitions(3, 6)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION seddel_access_log_partitions(integer, integer)")
    op.drop_index("ix_child_access_log_user", table_name="child_access_log")
    op.drop_index("ix_child_access_log_child", table_name="child_access_log")
    op.drop_table("child_access_log")

"""The yearly move-up and leaving (issue 16): planned_group_moves holds an admin's approved
move of a child to another group (or, with no to_group_id, out of the institution) on a date,
applied by the worker on that date in the institution's time zone; one plan per child and
date. Under row-level security in the form of 0071 (the tenant scope read once per statement).

closed_days.closes_at: an institution's own closing day may close from a time of day on
(Grundlovsdag afternoon, 12:00): an open day with shorter hours; NULL is the whole day closed.

Revision ID: 0098
Revises: 0097
Create Date: 2026-12-04 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0098"
down_revision: str | None = "0097"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "planned_group_moves"
TENANT_ROWS = "institution_id = ANY ((SELECT seddel_tenants())::uuid[])"


def upgrade() -> None:
    with op.batch_alter_table("closed_days", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closes_at", sa.Time(), nullable=True))
    op.create_table(
        TABLE,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("from_group_id", sa.Uuid(), nullable=True),
        sa.Column("to_group_id", sa.Uuid(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("planned_by", sa.Uuid(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('approved', 'applied', 'skipped')",
            name=op.f("ck_planned_group_moves_move_state"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            name=op.f("fk_planned_group_moves_child_id_institution_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_group_id", "institution_id"],
            ["groups.id", "groups.institution_id"],
            name=op.f("fk_planned_group_moves_from_group_id_institution_id_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_planned_group_moves_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["planned_by"],
            ["users.id"],
            name=op.f("fk_planned_group_moves_planned_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_group_id", "institution_id"],
            ["groups.id", "groups.institution_id"],
            name=op.f("fk_planned_group_moves_to_group_id_institution_id_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_group_moves")),
        sa.UniqueConstraint(
            "child_id", "effective_on", name=op.f("uq_planned_group_moves_child_id_effective_on")
        ),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_planned_group_moves_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            "ix_planned_group_moves_institution_id_state_effective_on",
            ["institution_id", "state", "effective_on"],
            unique=False,
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {TABLE}"
            f" USING ({TENANT_ROWS}) WITH CHECK ({TENANT_ROWS})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {TABLE}")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index("ix_planned_group_moves_institution_id_state_effective_on")
        batch_op.drop_index(batch_op.f("ix_planned_group_moves_institution_id"))
    op.drop_table(TABLE)
    with op.batch_alter_table("closed_days", schema=None) as batch_op:
        batch_op.drop_column("closes_at")

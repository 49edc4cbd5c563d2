"""Presence (check-in/out intervals and their event log), paired devices, personal PINs,
kiosk token uses; RLS on the tenant tables, and on PostgreSQL an exclusion constraint that
refuses two overlapping stays of one child.

Revision ID: 0040
Revises: 0030
Create Date: 2026-11-23 11:37:15.841785
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0040'
down_revision: str | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('personal_pins',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_personal_pins_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_personal_pins'))
    )
    op.create_table('devices',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('paired_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('staff_tablet', 'kiosk')", name=op.f('ck_devices_role')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_devices_institution_id_institutions')),
    sa.ForeignKeyConstraint(['paired_by'], ['users.id'], name=op.f('fk_devices_paired_by_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_devices_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('user_id', name=op.f('uq_devices_user_id'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_institution_id'), ['institution_id'], unique=False)

    op.create_table('kiosk_token_uses',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_kiosk_token_uses_institution_id_institutions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kiosk_token_uses_user_id_users')),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_kiosk_token_uses'))
    )
    with op.batch_alter_table('kiosk_token_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_token_uses_institution_id'), ['institution_id'], unique=False)

    op.create_table('presence_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('presence_id', sa.Uuid(), nullable=True),
    sa.Column('target_event_id', sa.Uuid(), nullable=True),
    sa.Column('override_reason', sa.String(length=500), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('check_in', 'check_out', 'undo', 'confirm', 'auto_close')", name=op.f('ck_presence_events_kind')),
    sa.ForeignKeyConstraint(['child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_presence_events_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_presence_events_device_id_devices')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_presence_events_institution_id_institutions')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_presence_events_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence_events'))
    )
    with op.batch_alter_table('presence_events', schema=None) as batch_op:
        batch_op.create_index('ix_presence_events_child_id_occurred_at', ['child_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_presence_events_institution_id'), ['institution_id'], unique=False)

    op.create_table('presences',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_in_by', sa.Uuid(), nullable=False),
    sa.Column('checked_in_device', sa.Uuid(), nullable=True),
    sa.Column('checked_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_out_by', sa.Uuid(), nullable=True),
    sa.Column('checked_out_device', sa.Uuid(), nullable=True),
    sa.Column('picked_up_by_kind', sa.String(length=16), nullable=True),
    sa.Column('picked_up_by_user', sa.Uuid(), nullable=True),
    sa.Column('picked_up_by_person', sa.Uuid(), nullable=True),
    sa.Column('picked_up_by_name', sa.String(length=200), nullable=True),
    sa.Column('override_reason', sa.String(length=500), nullable=True),
    sa.Column('checkout_estimated', sa.Boolean(), nullable=False),
    sa.CheckConstraint("picked_up_by_kind IS NULL OR picked_up_by_kind IN ('guardian', 'pickup_person', 'other')", name=op.f('ck_presences_picked_up_by_kind')),
    sa.CheckConstraint('checked_out_at IS NULL OR checked_out_at > checked_in_at', name=op.f('ck_presences_interval')),
    sa.ForeignKeyConstraint(['checked_in_by'], ['users.id'], name=op.f('fk_presences_checked_in_by_users')),
    sa.ForeignKeyConstraint(['checked_in_device'], ['devices.id'], name=op.f('fk_presences_checked_in_device_devices')),
    sa.ForeignKeyConstraint(['checked_out_by'], ['users.id'], name=op.f('fk_presences_checked_out_by_users')),
    sa.ForeignKeyConstraint(['checked_out_device'], ['devices.id'], name=op.f('fk_presences_checked_out_device_devices')),
    sa.ForeignKeyConstraint(['child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_presences_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_presences_institution_id_institutions')),
    sa.ForeignKeyConstraint(['picked_up_by_user'], ['users.id'], name=op.f('fk_presences_picked_up_by_user_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presences'))
    )
    with op.batch_alter_table('presences', schema=None) as batch_op:
        batch_op.create_index('ix_presences_child_id_checked_in_at', ['child_id', 'checked_in_at'], unique=False)
        batch_op.create_index('ix_presences_institution_id_checked_in_at', ['institution_id', 'checked_in_at'], unique=False)

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sessions_device_id_devices'), 'devices', ['device_id'], ['id'], ondelete='CASCADE')

    if op.get_bind().dialect.name == "postgresql":
        # The database itself refuses a child present twice at once (btree_gist gives the
        # equality operator on uuid inside a GiST index).
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE presences ADD CONSTRAINT ex_presences_no_overlap EXCLUDE USING gist"
            " (child_id WITH =,"
            " tstzrange(checked_in_at, coalesce(checked_out_at, 'infinity'::timestamptz), '[)')"
            " WITH &&)"
        )
        for table in TENANT_TABLES:
            # A device reads its own row by its user id before its scope is known.
            own_rows = " OR user_id = seddel_user()" if table == "devices" else ""
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table}"
                f" USING (institution_id = ANY (seddel_tenants()){own_rows})"
                " WITH CHECK (institution_id = ANY (seddel_tenants()))"
            )


TENANT_TABLES = ("devices", "presences", "presence_events", "kiosk_token_uses")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute("ALTER TABLE presences DROP CONSTRAINT IF EXISTS ex_presences_no_overlap")
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sessions_device_id_devices'), type_='foreignkey')
        batch_op.drop_column('device_id')

    with op.batch_alter_table('presences', schema=None) as batch_op:
        batch_op.drop_index('ix_presences_institution_id_checked_in_at')
        batch_op.drop_index('ix_presences_child_id_checked_in_at')

    op.drop_table('presences')
    with op.batch_alter_table('presence_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_presence_events_institution_id'))
        batch_op.drop_index('ix_presence_events_child_id_occurred_at')

    op.drop_table('presence_events')
    with op.batch_alter_table('kiosk_token_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_token_uses_institution_id'))

    op.drop_table('kiosk_token_uses')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_institution_id'))

    op.drop_table('devices')
    op.drop_table('personal_pins')

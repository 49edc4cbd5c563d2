"""People and tenancy: users, sessions, institutions, groups, children, guardians, staff.

On PostgreSQL every table that carries institution_id gets row-level security,
enabled and forced, so that even the tables' owner is held to the tenant setting.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 09:43:35.382389
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('login_throttles',
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttles'))
    )
    op.create_table('municipalities',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_municipalities')),
    sa.UniqueConstraint('name', name=op.f('uq_municipalities_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('email_key', sa.String(length=320), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('preferred_language', sa.String(length=2), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email_key', name=op.f('uq_users_email_key'))
    )
    op.create_table('institutions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('municipality_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('opening_hours', sa.JSON(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_institutions_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institutions'))
    )
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institutions_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('municipality_admins',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('municipality_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_municipality_admins_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_municipality_admins_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_municipality_admins')),
    sa.UniqueConstraint('municipality_id', 'user_id', name=op.f('uq_municipality_admins_municipality_id_user_id'))
    )
    with op.batch_alter_table('municipality_admins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_municipality_admins_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_municipality_admins_user_id'), ['user_id'], unique=False)

    op.create_table('sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('device_label', sa.String(length=200), nullable=True),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('idle_timeout_seconds', sa.Integer(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sessions_token_hash'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sessions_user_id_active', ['user_id', 'revoked_at'], unique=False)

    op.create_table('admin_memberships',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_admin_memberships_institution_id_institutions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_admin_memberships_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_memberships')),
    sa.UniqueConstraint('institution_id', 'user_id', name=op.f('uq_admin_memberships_institution_id_user_id'))
    )
    with op.batch_alter_table('admin_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_memberships_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_memberships_user_id'), ['user_id'], unique=False)

    op.create_table('closed_days',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_closed_days_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closed_days')),
    sa.UniqueConstraint('institution_id', 'day', name=op.f('uq_closed_days_institution_id_day'))
    )
    with op.batch_alter_table('closed_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closed_days_institution_id'), ['institution_id'], unique=False)

    op.create_table('groups',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_groups_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('id', 'institution_id', name=op.f('uq_groups_id_institution_id'))
    )
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_groups_institution_id'), ['institution_id'], unique=False)

    op.create_table('staff_memberships',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_staff_memberships_institution_id_institutions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_memberships_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_memberships')),
    sa.UniqueConstraint('id', 'institution_id', name=op.f('uq_staff_memberships_id_institution_id')),
    sa.UniqueConstraint('institution_id', 'user_id', name=op.f('uq_staff_memberships_institution_id_user_id'))
    )
    with op.batch_alter_table('staff_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_memberships_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_memberships_user_id'), ['user_id'], unique=False)

    op.create_table('children',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('active_from', sa.Date(), nullable=False),
    sa.Column('active_until', sa.Date(), nullable=True),
    sa.Column('is_protected', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('active_until IS NULL OR active_until >= active_from', name=op.f('ck_children_active_period')),
    sa.ForeignKeyConstraint(['group_id', 'institution_id'], ['groups.id', 'groups.institution_id'], name=op.f('fk_children_group_id_institution_id_groups')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_children_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_children')),
    sa.UniqueConstraint('id', 'institution_id', name=op.f('uq_children_id_institution_id'))
    )
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_children_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_children_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_children_institution_id_last_name', ['institution_id', 'last_name', 'first_name'], unique=False)

    op.create_table('staff_groups',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['group_id', 'institution_id'], ['groups.id', 'groups.institution_id'], name=op.f('fk_staff_groups_group_id_institution_id_groups')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_staff_groups_institution_id_institutions')),
    sa.ForeignKeyConstraint(['staff_id', 'institution_id'], ['staff_memberships.id', 'staff_memberships.institution_id'], name=op.f('fk_staff_groups_staff_id_institution_id_staff_memberships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_groups')),
    sa.UniqueConstraint('staff_id', 'group_id', name=op.f('uq_staff_groups_staff_id_group_id'))
    )
    with op.batch_alter_table('staff_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_groups_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_groups_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_groups_staff_id'), ['staff_id'], unique=False)

    op.create_table('guardian_links',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('relation', sa.String(length=50), nullable=False),
    sa.Column('has_custody', sa.Boolean(), nullable=False),
    sa.Column('access', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("access IN ('full', 'information', 'none')", name=op.f('ck_guardian_links_access_level')),
    sa.ForeignKeyConstraint(['child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_guardian_links_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_guardian_links_institution_id_institutions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_guardian_links_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guardian_links')),
    sa.UniqueConstraint('child_id', 'user_id', name=op.f('uq_guardian_links_child_id_user_id'))
    )
    with op.batch_alter_table('guardian_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guardian_links_child_id'), ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_guardian_links_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_guardian_links_user_id'), ['user_id'], unique=False)




    if op.get_bind().dialect.name == "postgresql":
        _row_level_security()


TENANT_TABLES = (
    "closed_days",
    "groups",
    "children",
    "guardian_links",
    "staff_memberships",
    "staff_groups",
    "admin_memberships",
)
# A user reads their own membership rows before their tenants are known (loading the actor).
MEMBERSHIP_TABLES = ("guardian_links", "staff_memberships", "admin_memberships")


def _row_level_security() -> None:
    op.execute(
        """
        CREATE FUNCTION seddel_tenants() RETURNS uuid[] LANGUAGE sql STABLE AS $$
          SELECT coalesce(
            string_to_array(nullif(current_setting('seddel.institution_ids', true), ''), ',')::uuid[],
            '{}'::uuid[])
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION seddel_user() RETURNS uuid LANGUAGE sql STABLE AS $$
          SELECT nullif(current_setting('seddel.user_id', true), '')::uuid
        $$
        """
    )
    for table in TENANT_TABLES:
        own_rows = " OR user_id = seddel_user()" if table in MEMBERSHIP_TABLES else ""
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table}"
            f" USING (institution_id = ANY (seddel_tenants()){own_rows})"
            f" WITH CHECK (institution_id = ANY (seddel_tenants()))"
        )
    op.execute("ALTER TABLE institutions ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE institutions FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON institutions"
        " USING (id = ANY (seddel_tenants()) OR municipality_id IN"
        " (SELECT municipality_id FROM municipality_admins WHERE user_id = seddel_user()))"
        " WITH CHECK (id = ANY (seddel_tenants()))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in (*TENANT_TABLES, "institutions"):
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute("DROP FUNCTION IF EXISTS seddel_tenants()")
        op.execute("DROP FUNCTION IF EXISTS seddel_user()")

    with op.batch_alter_table('guardian_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guardian_links_user_id'))
        batch_op.drop_index(batch_op.f('ix_guardian_links_institution_id'))
        batch_op.drop_index(batch_op.f('ix_guardian_links_child_id'))

    op.drop_table('guardian_links')
    with op.batch_alter_table('staff_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_groups_staff_id'))
        batch_op.drop_index(batch_op.f('ix_staff_groups_institution_id'))
        batch_op.drop_index(batch_op.f('ix_staff_groups_group_id'))

    op.drop_table('staff_groups')
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.drop_index('ix_children_institution_id_last_name')
        batch_op.drop_index(batch_op.f('ix_children_institution_id'))
        batch_op.drop_index(batch_op.f('ix_children_group_id'))

    op.drop_table('children')
    with op.batch_alter_table('staff_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_memberships_user_id'))
        batch_op.drop_index(batch_op.f('ix_staff_memberships_institution_id'))

    op.drop_table('staff_memberships')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_groups_institution_id'))

    op.drop_table('groups')
    with op.batch_alter_table('closed_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closed_days_institution_id'))

    op.drop_table('closed_days')
    with op.batch_alter_table('admin_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_memberships_user_id'))
        batch_op.drop_index(batch_op.f('ix_admin_memberships_institution_id'))

    op.drop_table('admin_memberships')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_user_id_active')

    op.drop_table('sessions')
    with op.batch_alter_table('municipality_admins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_municipality_admins_user_id'))
        batch_op.drop_index(batch_op.f('ix_municipality_admins_municipality_id'))

    op.drop_table('municipality_admins')
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institutions_municipality_id'))

    op.drop_table('institutions')
    op.drop_table('users')
    op.drop_table('municipalities')
    op.drop_table('login_throttles')


"""Pickup plans (weekly default, overrides, history, go-home-alone permission) and vacation
surveys, under row-level security.

Revision ID: 0030
Revises: 0050
Create Date: 2026-11-23 11:37:36.879040
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0030'
down_revision: str | None = '0050'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "vacation_surveys",
    "vacation_answers",
    "go_home_alone_permissions",
    "pickup_plans",
    "pickup_plan_changes",
)


def upgrade() -> None:
    # The pickup plan's composite key needs (id, institution_id) unique first.
    with op.batch_alter_table('pickup_persons', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_pickup_persons_id_institution_id'), ['id', 'institution_id'])

    op.create_table('vacation_surveys',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('deadline < first_day', name=op.f('ck_vacation_surveys_deadline')),
    sa.CheckConstraint('last_day >= first_day', name=op.f('ck_vacation_surveys_period')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_vacation_surveys_created_by_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_vacation_surveys_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vacation_surveys')),
    sa.UniqueConstraint('id', 'institution_id', name=op.f('uq_vacation_surveys_id_institution_id'))
    )
    with op.batch_alter_table('vacation_surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vacation_surveys_institution_id'), ['institution_id'], unique=False)

    op.create_table('go_home_alone_permissions',
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('granted_by', sa.Uuid(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_go_home_alone_permissions_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['granted_by'], ['users.id'], name=op.f('fk_go_home_alone_permissions_granted_by_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_go_home_alone_permissions_institution_id_institutions')),
    sa.PrimaryKeyConstraint('child_id', name=op.f('pk_go_home_alone_permissions'))
    )
    with op.batch_alter_table('go_home_alone_permissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_go_home_alone_permissions_institution_id'), ['institution_id'], unique=False)

    op.create_table('pickup_plan_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('weekday', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('after_cutoff', sa.Boolean(), nullable=False),
    sa.Column('changed_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['users.id'], name=op.f('fk_pickup_plan_changes_changed_by_users')),
    sa.ForeignKeyConstraint(['child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_pickup_plan_changes_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_pickup_plan_changes_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pickup_plan_changes'))
    )
    with op.batch_alter_table('pickup_plan_changes', schema=None) as batch_op:
        batch_op.create_index('ix_pickup_plan_changes_child_id_day', ['child_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_pickup_plan_changes_institution_id'), ['institution_id'], unique=False)

    op.create_table('vacation_answers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('survey_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('coming', sa.Boolean(), nullable=False),
    sa.Column('arrival', sa.Time(), nullable=True),
    sa.Column('pickup', sa.Time(), nullable=True),
    sa.Column('answered_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], name=op.f('fk_vacation_answers_answered_by_users')),
    sa.ForeignKeyConstraint(['child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_vacation_answers_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_vacation_answers_institution_id_institutions')),
    sa.ForeignKeyConstraint(['survey_id', 'institution_id'], ['vacation_surveys.id', 'vacation_surveys.institution_id'], name=op.f('fk_vacation_answers_survey_id_institution_id_vacation_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vacation_answers')),
    sa.UniqueConstraint('survey_id', 'child_id', 'day', name=op.f('uq_vacation_answers_survey_id_child_id_day'))
    )
    with op.batch_alter_table('vacation_answers', schema=None) as batch_op:
        batch_op.create_index('ix_vacation_answers_child_id_day', ['child_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_vacation_answers_institution_id'), ['institution_id'], unique=False)

    op.create_table('pickup_plans',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('arrival', sa.Time(), nullable=True),
    sa.Column('pickup', sa.Time(), nullable=True),
    sa.Column('alone_until', sa.Time(), nullable=True),
    sa.Column('leave_mode', sa.String(length=16), nullable=False),
    sa.Column('pickup_person_id', sa.Uuid(), nullable=True),
    sa.Column('guardian_user_id', sa.Uuid(), nullable=True),
    sa.Column('companion_child_id', sa.Uuid(), nullable=True),
    sa.Column('companion_status', sa.String(length=16), nullable=True),
    sa.Column('companion_answered_by', sa.Uuid(), nullable=True),
    sa.Column('companion_answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("companion_status IS NULL OR companion_status IN ('pending', 'accepted', 'declined')", name=op.f('ck_pickup_plans_companion_status')),
    sa.CheckConstraint("leave_mode IN ('guardian', 'pickup_person', 'alone', 'with_child', 'sent_home')", name=op.f('ck_pickup_plans_leave_mode')),
    sa.CheckConstraint('(day IS NULL) <> (weekday IS NULL)', name=op.f('ck_pickup_plans_day_or_weekday')),
    sa.CheckConstraint('weekday IS NULL OR (weekday >= 0 AND weekday <= 6)', name=op.f('ck_pickup_plans_weekday')),
    sa.ForeignKeyConstraint(['child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_pickup_plans_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['companion_answered_by'], ['users.id'], name=op.f('fk_pickup_plans_companion_answered_by_users')),
    sa.ForeignKeyConstraint(['companion_child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_pickup_plans_companion_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['guardian_user_id'], ['users.id'], name=op.f('fk_pickup_plans_guardian_user_id_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_pickup_plans_institution_id_institutions')),
    sa.ForeignKeyConstraint(['pickup_person_id', 'institution_id'], ['pickup_persons.id', 'pickup_persons.institution_id'], name=op.f('fk_pickup_plans_pickup_person_id_institution_id_pickup_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_pickup_plans_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pickup_plans')),
    sa.UniqueConstraint('child_id', 'day', name=op.f('uq_pickup_plans_child_id_day')),
    sa.UniqueConstraint('child_id', 'weekday', name=op.f('uq_pickup_plans_child_id_weekday'))
    )
    with op.batch_alter_table('pickup_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pickup_plans_child_id'), ['child_id'], unique=False)
        batch_op.create_index('ix_pickup_plans_companion_child_id', ['companion_child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pickup_plans_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_pickup_plans_pickup_person_id', ['pickup_person_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table}"
                " USING (institution_id = ANY (seddel_tenants()))"
                " WITH CHECK (institution_id = ANY (seddel_tenants()))"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    with op.batch_alter_table('pickup_persons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_pickup_persons_id_institution_id'), type_='unique')

    with op.batch_alter_table('pickup_plans', schema=None) as batch_op:
        batch_op.drop_index('ix_pickup_plans_pickup_person_id')
        batch_op.drop_index(batch_op.f('ix_pickup_plans_institution_id'))
        batch_op.drop_index('ix_pickup_plans_companion_child_id')
        batch_op.drop_index(batch_op.f('ix_pickup_plans_child_id'))

    op.drop_table('pickup_plans')
    with op.batch_alter_table('vacation_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vacation_answers_institution_id'))
        batch_op.drop_index('ix_vacation_answers_child_id_day')

    op.drop_table('vacation_answers')
    with op.batch_alter_table('pickup_plan_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pickup_plan_changes_institution_id'))
        batch_op.drop_index('ix_pickup_plan_changes_child_id_day')

    op.drop_table('pickup_plan_changes')
    with op.batch_alter_table('go_home_alone_permissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_go_home_alone_permissions_institution_id'))

    op.drop_table('go_home_alone_permissions')
    with op.batch_alter_table('vacation_surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vacation_surveys_institution_id'))

    op.drop_table('vacation_surveys')

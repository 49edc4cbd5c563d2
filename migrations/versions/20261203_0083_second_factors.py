"""Two factors for staff and admins (issue 13): a person's TOTP authenticator, its ten
single-use recovery codes and the short-lived challenges of a login that waits for its
second factor.

A person's own, like sessions: no institution_id and no row-level security (the application
reaches them only by the user's id, before any tenant scope is known).

Revision ID: 0083
Revises: 0082
Create Date: 2026-12-03 16:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0083'
down_revision: str | None = "0082"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('second_factors',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('secret_encrypted', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_step', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_second_factors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_second_factors'))
    )
    op.create_table('second_factor_recovery_codes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_second_factor_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_second_factor_recovery_codes'))
    )
    with op.batch_alter_table('second_factor_recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_second_factor_recovery_codes_user_id'), ['user_id'], unique=False)

    op.create_table('second_factor_challenges',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('device_label', sa.String(length=200), nullable=True),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_second_factor_challenges_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_second_factor_challenges')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_second_factor_challenges_token_hash'))
    )
    with op.batch_alter_table('second_factor_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_second_factor_challenges_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('second_factor_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_second_factor_challenges_user_id'))
    op.drop_table('second_factor_challenges')
    with op.batch_alter_table('second_factor_recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_second_factor_recovery_codes_user_id'))
    op.drop_table('second_factor_recovery_codes')
    op.drop_table('second_factors')

"""Federated login (issue 13): OpenID Connect providers per municipality, the identities they
vouch for (linked to users), login flows in progress and one-time login codes.

None carries institution_id: providers belong to municipalities and identities to global users,
so no row-level security (the application reaches them by state, code, subject or user id).
No column holds a CPR number or an ID token's claims.

Revision ID: 0084
Revises: 0083
Create Date: 2026-12-03 16:36:19.471122
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0084'
down_revision: str | None = "0083"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('oidc_providers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('municipality_id', sa.Uuid(), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=300), nullable=False),
    sa.Column('client_secret_env', sa.String(length=100), nullable=True),
    sa.Column('scopes', sa.String(length=500), nullable=False),
    sa.Column('subject_claim', sa.String(length=100), nullable=False),
    sa.Column('trusts_email', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_oidc_providers_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_providers')),
    sa.UniqueConstraint('slug', name=op.f('uq_oidc_providers_slug'))
    )
    with op.batch_alter_table('oidc_providers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_providers_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('federated_identities',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('provider_id', sa.Uuid(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('linked_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['oidc_providers.id'], name=op.f('fk_federated_identities_provider_id_oidc_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_federated_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federated_identities')),
    sa.UniqueConstraint('provider_id', 'subject', name=op.f('uq_federated_identities_provider_id_subject'))
    )
    with op.batch_alter_table('federated_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federated_identities_user_id'), ['user_id'], unique=False)

    op.create_table('login_codes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('provider_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['oidc_providers.id'], name=op.f('fk_login_codes_provider_id_oidc_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_login_codes_code_hash'))
    )
    with op.batch_alter_table('login_codes', schema=None) as batch_op:
        batch_op.create_index('ix_login_codes_expires_at', ['expires_at'], unique=False)

    op.create_table('oidc_login_flows',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('browser_hash', sa.String(length=64), nullable=False),
    sa.Column('provider_id', sa.Uuid(), nullable=False),
    sa.Column('nonce', sa.String(length=100), nullable=False),
    sa.Column('code_verifier', sa.String(length=128), nullable=False),
    sa.Column('return_to', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['oidc_providers.id'], name=op.f('fk_oidc_login_flows_provider_id_oidc_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_login_flows')),
    sa.UniqueConstraint('state_hash', name=op.f('uq_oidc_login_flows_state_hash'))
    )
    with op.batch_alter_table('oidc_login_flows', schema=None) as batch_op:
        batch_op.create_index('ix_oidc_login_flows_expires_at', ['expires_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('oidc_login_flows', schema=None) as batch_op:
        batch_op.drop_index('ix_oidc_login_flows_expires_at')

    op.drop_table('oidc_login_flows')
    with op.batch_alter_table('login_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_login_codes_expires_at')

    op.drop_table('login_codes')
    with op.batch_alter_table('federated_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_federated_identities_user_id'))

    op.drop_table('federated_identities')
    with op.batch_alter_table('oidc_providers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_providers_municipality_id'))

    op.drop_table('oidc_providers')

"""An invitation accepted while signed in with the municipality's identity provider (issue 13):
a login flow may be started by `startInvitationLogin`, which keeps the SHA-256 of the
invitation's token (never the token) and the SHA-256 of a single-use hand-off that
`/auth/oidc/{provider}/start?flow=` spends in the browser.

Revision ID: 0090
Revises: 0089
Create Date: 2026-12-04 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0090"
down_revision: str | None = "0089"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("oidc_login_flows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handoff_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("invitation_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_oidc_login_flows_handoff_hash"), ["handoff_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("oidc_login_flows", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_oidc_login_flows_handoff_hash"), type_="unique")
        batch_op.drop_column("invitation_token_hash")
        batch_op.drop_column("handoff_hash")

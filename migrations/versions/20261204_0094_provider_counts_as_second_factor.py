"""Whether an identity provider's own login stands for the second factor (issue 13):
oidc_providers.counts_as_second_factor, false for every provider until the operator marks one
that performs MFA itself (`seddel oidc-provider add --counts-as-second-factor`). Until now
every federated login skipped the step-up; from here on only such a provider's do.

Revision ID: 0094
Revises: 0093
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0094"
down_revision: str | None = "0093"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("oidc_providers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "counts_as_second_factor",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("oidc_providers", schema=None) as batch_op:
        batch_op.drop_column("counts_as_second_factor")

"""The child's record and the group's contact list (issue 15): child_records,
emergency_contacts, medication_consents (GDPR Art. 9 health data) and contact_sharing (each
guardian's choice per child of what the group's other guardians see). Tenant tables: row-level
security on PostgreSQL in the form of 0071 (the tenant scope read once per statement).

Revision ID: 0087
Revises: 0086
Create Date: 2026-12-03 16:33:25.829754
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0087"
down_revision: str | None = "0086"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "child_records",
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("allergies", sa.String(length=2000), nullable=False),
        sa.Column("diet", sa.String(length=2000), nullable=False),
        sa.Column("doctor_name", sa.String(length=200), nullable=False),
        sa.Column("doctor_phone", sa.String(length=40), nullable=False),
        sa.Column("staff_notes", sa.String(length=4000), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            name=op.f("fk_child_records_child_id_institution_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_child_records_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_child_records_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("child_id", name=op.f("pk_child_records")),
    )
    with op.batch_alter_table("child_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_child_records_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "emergency_contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("relation", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            name=op.f("fk_emergency_contacts_child_id_institution_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_emergency_contacts_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_emergency_contacts_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_contacts")),
    )
    with op.batch_alter_table("emergency_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emergency_contacts_child_id"), ["child_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_emergency_contacts_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "medication_consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("medicine", sa.String(length=200), nullable=False),
        sa.Column("dose", sa.String(length=100), nullable=False),
        sa.Column("instructions", sa.String(length=1000), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("signed_by", sa.Uuid(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from",
            name=op.f("ck_medication_consents_medication_period"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            name=op.f("fk_medication_consents_child_id_institution_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_medication_consents_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_by"], ["users.id"], name=op.f("fk_medication_consents_signed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"], ["users.id"], name=op.f("fk_medication_consents_withdrawn_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medication_consents")),
        sa.UniqueConstraint(
            "id", "institution_id", name=op.f("uq_medication_consents_id_institution_id")
        ),
    )
    with op.batch_alter_table("medication_consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_medication_consents_child_id_valid_from", ["child_id", "valid_from"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_medication_consents_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "contact_sharing",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("show_name", sa.Boolean(), nullable=False),
        sa.Column("show_phone", sa.Boolean(), nullable=False),
        sa.Column("show_email", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            name=op.f("fk_contact_sharing_child_id_institution_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["child_id", "user_id"],
            ["guardian_links.child_id", "guardian_links.user_id"],
            name=op.f("fk_contact_sharing_child_id_user_id_guardian_links"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_contact_sharing_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_contact_sharing_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_sharing")),
        sa.UniqueConstraint(
            "child_id", "user_id", name=op.f("uq_contact_sharing_child_id_user_id")
        ),
    )
    with op.batch_alter_table("contact_sharing", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_sharing_institution_id_child_id",
            ["institution_id", "child_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_contact_sharing_user_id"), ["user_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table}"
                f" USING ({TENANT_ROWS}) WITH CHECK ({TENANT_ROWS})"
            )


TENANT_TABLES = ("child_records", "emergency_contacts", "medication_consents", "contact_sharing")
TENANT_ROWS = "institution_id = ANY ((SELECT seddel_tenants())::uuid[])"


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    with op.batch_alter_table("contact_sharing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_sharing_user_id"))
        batch_op.drop_index("ix_contact_sharing_institution_id_child_id")

    op.drop_table("contact_sharing")
    with op.batch_alter_table("medication_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medication_consents_institution_id"))
        batch_op.drop_index("ix_medication_consents_child_id_valid_from")

    op.drop_table("medication_consents")
    with op.batch_alter_table("emergency_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_contacts_institution_id"))
        batch_op.drop_index(batch_op.f("ix_emergency_contacts_child_id"))

    op.drop_table("emergency_contacts")
    with op.batch_alter_table("child_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_records_institution_id"))

    op.drop_table("child_records")

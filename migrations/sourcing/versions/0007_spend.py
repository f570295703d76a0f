"""an organisation's supplier spend: files, imports, lines, suppliers, choices, categories and sites

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 22:31:12.548618
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spend_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("sector_slug", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_spend_category_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_category")),
        sa.UniqueConstraint(
            "organisation_id", "label", name=op.f("uq_spend_category_organisation_id")
        ),
    )
    op.create_table(
        "spend_choice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("supplier_key", sa.String(length=80), nullable=False),
        sa.Column(
            "decision",
            sa.Enum("confirmed", "rejected", name="decision", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("structure_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_spend_choice_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_choice")),
        sa.UniqueConstraint(
            "organisation_id", "supplier_key", name=op.f("uq_spend_choice_organisation_id")
        ),
    )
    op.create_table(
        "spend_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "format",
            sa.Enum("csv", "xlsx", name="spendformat", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("delimiter", sa.String(length=1), nullable=True),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_spend_file_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_file")),
    )
    with op.batch_alter_table("spend_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spend_file_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "spend_site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_spend_site_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_site")),
        sa.UniqueConstraint(
            "organisation_id", "department_code", name=op.f("uq_spend_site_organisation_id")
        ),
    )
    op.create_table(
        "spend_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "running", "active", "replaced", "failed", name="uploadstatus", native_enum=False
            ),
            nullable=False,
        ),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["spend_file.id"],
            name=op.f("fk_spend_upload_file_id_spend_file"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_spend_upload_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_upload")),
    )
    with op.batch_alter_table("spend_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spend_upload_file_id"), ["file_id"], unique=False)
        batch_op.create_index(
            "ix_spend_upload_organisation_year_status",
            ["organisation_id", "year", "status"],
            unique=False,
        )

    op.create_table(
        "spend_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("supplier_key", sa.String(length=80), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("supplier_name", sa.String(length=255), nullable=False),
        sa.Column("postcode", sa.String(length=5), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=False),
        sa.Column("buying_entity", sa.String(length=200), nullable=False),
        sa.Column("spend_date", sa.Date(), nullable=True),
        sa.Column("site_postcode", sa.String(length=5), nullable=True),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["spend_upload.id"],
            name=op.f("fk_spend_line_upload_id_spend_upload"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_line")),
    )
    with op.batch_alter_table("spend_line", schema=None) as batch_op:
        batch_op.create_index(
            "ix_spend_line_upload_supplier", ["upload_id", "supplier_key"], unique=False
        )

    op.create_table(
        "spend_rejection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["spend_upload.id"],
            name=op.f("fk_spend_rejection_upload_id_spend_upload"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_rejection")),
    )
    with op.batch_alter_table("spend_rejection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spend_rejection_upload_id"), ["upload_id"], unique=False
        )

    op.create_table(
        "spend_supplier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("supplier_key", sa.String(length=80), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("postcode", sa.String(length=5), nullable=True),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column(
            "match",
            sa.Enum(
                "siret",
                "siren",
                "confirmed",
                "suggested",
                "none",
                name="matchkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("structure_id", sa.Integer(), nullable=True),
        sa.Column("suggested_structure_id", sa.Integer(), nullable=True),
        sa.Column("structure_name", sa.String(length=255), nullable=True),
        sa.Column("structure_siret", sa.String(length=14), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=True),
        sa.Column("family", sa.String(length=16), nullable=True),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("department_code", sa.String(length=3), nullable=True),
        sa.Column("is_qpv", sa.Boolean(), nullable=True),
        sa.Column("is_zrr", sa.Boolean(), nullable=True),
        sa.Column("structure_postcode", sa.String(length=5), nullable=True),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["spend_upload.id"],
            name=op.f("fk_spend_supplier_upload_id_spend_upload"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_supplier")),
        sa.UniqueConstraint("upload_id", "supplier_key", name=op.f("uq_spend_supplier_upload_id")),
    )


def downgrade() -> None:
    op.drop_table("spend_supplier")
    with op.batch_alter_table("spend_rejection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spend_rejection_upload_id"))

    op.drop_table("spend_rejection")
    with op.batch_alter_table("spend_line", schema=None) as batch_op:
        batch_op.drop_index("ix_spend_line_upload_supplier")

    op.drop_table("spend_line")
    with op.batch_alter_table("spend_upload", schema=None) as batch_op:
        batch_op.drop_index("ix_spend_upload_organisation_year_status")
        batch_op.drop_index(batch_op.f("ix_spend_upload_file_id"))

    op.drop_table("spend_upload")
    op.drop_table("spend_site")
    with op.batch_alter_table("spend_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spend_file_organisation_id"))

    op.drop_table("spend_file")
    op.drop_table("spend_choice")
    op.drop_table("spend_category")

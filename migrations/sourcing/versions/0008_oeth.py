"""the OETH deduction: yearly declarations, TIH marks, suppliers' attestations

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 22:35:43.935613
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oeth_attestation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("series", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("issued", "replaced", name="attestationstatus", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("structure", sa.JSON(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("client_siren", sa.String(length=9), nullable=False),
        sa.Column("client_name", sa.String(length=200), nullable=False),
        sa.Column("client_address", sa.String(length=300), nullable=False),
        sa.Column("contracts", sa.JSON(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("labour_cost_cents", sa.BigInteger(), nullable=False),
        sa.Column("deductible_cents", sa.BigInteger(), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaces", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["replaces"],
            ["oeth_attestation.id"],
            name=op.f("fk_oeth_attestation_replaces_oeth_attestation"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oeth_attestation")),
        sa.UniqueConstraint("number", name=op.f("uq_oeth_attestation_number")),
    )
    with op.batch_alter_table("oeth_attestation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oeth_attestation_client_siren"), ["client_siren"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_oeth_attestation_series"), ["series"], unique=False)
        batch_op.create_index(batch_op.f("ix_oeth_attestation_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_oeth_attestation_structure_id"), ["structure_id"], unique=False
        )

    op.create_table(
        "oeth_declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("headcount_hundredths", sa.Integer(), nullable=False),
        sa.Column("beneficiaries_hundredths", sa.Integer(), nullable=True),
        sa.Column("rate_hundredths", sa.Integer(), nullable=True),
        sa.Column("gross_contribution_cents", sa.BigInteger(), nullable=True),
        sa.Column("labour_share_basis_points", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_oeth_declaration_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oeth_declaration")),
        sa.UniqueConstraint(
            "organisation_id", "year", name=op.f("uq_oeth_declaration_organisation_id")
        ),
    )
    with op.batch_alter_table("oeth_declaration", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oeth_declaration_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "oeth_tih_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("supplier_key", sa.String(length=80), nullable=False),
        sa.Column("marked_by", sa.String(length=64), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_oeth_tih_mark_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oeth_tih_mark")),
        sa.UniqueConstraint(
            "organisation_id", "supplier_key", name=op.f("uq_oeth_tih_mark_organisation_id")
        ),
    )
    with op.batch_alter_table("oeth_tih_mark", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oeth_tih_mark_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("oeth_tih_mark", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oeth_tih_mark_organisation_id"))

    op.drop_table("oeth_tih_mark")
    with op.batch_alter_table("oeth_declaration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oeth_declaration_organisation_id"))

    op.drop_table("oeth_declaration")
    with op.batch_alter_table("oeth_attestation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oeth_attestation_structure_id"))
        batch_op.drop_index(batch_op.f("ix_oeth_attestation_status"))
        batch_op.drop_index(batch_op.f("ix_oeth_attestation_series"))
        batch_op.drop_index(batch_op.f("ix_oeth_attestation_client_siren"))

    op.drop_table("oeth_attestation")

"""DECP: contracts as notified, their awardees and subcontractors, buyers and their yearly figures, import runs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 18:15:07.969162
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decp_buyer",
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("siren", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("search_name", sa.String(length=255), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("siret", name=op.f("pk_decp_buyer")),
    )
    with op.batch_alter_table("decp_buyer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decp_buyer_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_decp_buyer_siren"), ["siren"], unique=False)

    op.create_table(
        "decp_buyer_year",
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("contracts", sa.Integer(), nullable=False),
        sa.Column("amount_eur", sa.Float(), nullable=False),
        sa.Column("with_social", sa.Integer(), nullable=False),
        sa.Column("social_amount_eur", sa.Float(), nullable=False),
        sa.Column("social_share", sa.Float(), nullable=False),
        sa.Column("social_amount_share", sa.Float(), nullable=False),
        sa.Column("clause_sociale", sa.Integer(), nullable=False),
        sa.Column("critere_social", sa.Integer(), nullable=False),
        sa.Column("marche_reserve", sa.Integer(), nullable=False),
        sa.Column("inclusive_contracts", sa.Integer(), nullable=False),
        sa.Column("inclusive_amount_eur", sa.Float(), nullable=False),
        sa.Column("inclusive_awarded", sa.Integer(), nullable=False),
        sa.Column("inclusive_subcontracted", sa.Integer(), nullable=False),
        sa.Column("by_family", sa.JSON(), nullable=False),
        sa.Column("by_kind", sa.JSON(), nullable=False),
        sa.Column("rank_national", sa.Integer(), nullable=True),
        sa.Column("rank_region", sa.Integer(), nullable=True),
        sa.Column("rank_category", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("siret", "year", name=op.f("pk_decp_buyer_year")),
    )
    with op.batch_alter_table("decp_buyer_year", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decp_buyer_year_band"), ["band"], unique=False)
        batch_op.create_index(batch_op.f("ix_decp_buyer_year_category"), ["category"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_decp_buyer_year_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "decp_contract",
        sa.Column("uid", sa.String(length=96), nullable=False),
        sa.Column("buyer_siret", sa.String(length=14), nullable=False),
        sa.Column("buyer_name", sa.String(length=255), nullable=True),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount_eur", sa.Float(), nullable=False),
        sa.Column("nature", sa.String(length=64), nullable=True),
        sa.Column("cpv", sa.String(length=10), nullable=True),
        sa.Column("place_type", sa.String(length=32), nullable=True),
        sa.Column("place_code", sa.String(length=16), nullable=True),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("clause_sociale", sa.Boolean(), nullable=False),
        sa.Column("critere_social", sa.Boolean(), nullable=False),
        sa.Column("marche_reserve", sa.Boolean(), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_decp_contract")),
    )
    with op.batch_alter_table("decp_contract", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decp_contract_buyer_siret"), ["buyer_siret"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_decp_contract_year"), ["year"], unique=False)

    op.create_table(
        "decp_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decp_import")),
    )
    with op.batch_alter_table("decp_import", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decp_import_fingerprint"), ["fingerprint"], unique=False
        )

    op.create_table(
        "decp_partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_uid", sa.String(length=96), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("id_type", sa.String(length=16), nullable=False),
        sa.Column("ident", sa.String(length=32), nullable=False),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decp_partner")),
    )
    with op.batch_alter_table("decp_partner", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decp_partner_contract_uid"), ["contract_uid"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_decp_partner_ident"), ["ident"], unique=False)
        batch_op.create_index(batch_op.f("ix_decp_partner_siren"), ["siren"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("decp_partner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decp_partner_siren"))
        batch_op.drop_index(batch_op.f("ix_decp_partner_ident"))
        batch_op.drop_index(batch_op.f("ix_decp_partner_contract_uid"))

    op.drop_table("decp_partner")
    with op.batch_alter_table("decp_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decp_import_fingerprint"))

    op.drop_table("decp_import")
    with op.batch_alter_table("decp_contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decp_contract_year"))
        batch_op.drop_index(batch_op.f("ix_decp_contract_buyer_siret"))

    op.drop_table("decp_contract")
    with op.batch_alter_table("decp_buyer_year", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decp_buyer_year_region_code"))
        batch_op.drop_index(batch_op.f("ix_decp_buyer_year_category"))
        batch_op.drop_index(batch_op.f("ix_decp_buyer_year_band"))

    op.drop_table("decp_buyer_year")
    with op.batch_alter_table("decp_buyer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decp_buyer_siren"))
        batch_op.drop_index(batch_op.f("ix_decp_buyer_category"))

    op.drop_table("decp_buyer")

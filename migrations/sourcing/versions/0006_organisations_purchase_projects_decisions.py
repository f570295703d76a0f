"""buyers' organisations and members, purchase projects and their decisions; the need a project deposits

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 18:15:40.416325
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
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("siren", sa.String(length=9), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column(
            "buyer_kind",
            sa.Enum(
                "etat",
                "collectivite",
                "etablissement_public",
                "entite_adjudicatrice",
                "entreprise",
                name="buyerkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("hours_threshold", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("created_by", "siren", name=op.f("uq_organisation_created_by")),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisation_siren"), ["siren"], unique=False)

    op.create_table(
        "organisation_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column(
            "role",
            sa.Enum("admin", "member", name="memberrole", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_member_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_member")),
        sa.UniqueConstraint(
            "organisation_id", "email", name=op.f("uq_organisation_member_organisation_id")
        ),
    )
    with op.batch_alter_table("organisation_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_member_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_organisation_member_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("object", sa.String(length=5000), nullable=False),
        sa.Column("cpv", sa.JSON(), nullable=False),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("place_level", sa.String(length=16), nullable=False),
        sa.Column("place_code", sa.String(length=5), nullable=False),
        sa.Column(
            "contract_kind",
            sa.Enum(
                "services",
                "fournitures",
                "travaux",
                name="contractkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("estimated_amount_eur", sa.Float(), nullable=False),
        sa.Column("duration_months", sa.Integer(), nullable=False),
        sa.Column(
            "procedure",
            sa.Enum(
                "procedure_adaptee",
                "appel_offres_ouvert",
                "appel_offres_restreint",
                "procedure_avec_negociation",
                "dialogue_competitif",
                "autre",
                name="procedure",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("lots", sa.JSON(), nullable=False),
        sa.Column("hours_parameters", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "decided", "awarded", name="projectstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("evaluation", sa.JSON(), nullable=False),
        sa.Column("social_consideration_expected", sa.Boolean(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("awarded_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_project_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_project_status"), ["status"], unique=False)

    op.create_table(
        "project_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("justification_reason", sa.String(length=64), nullable=True),
        sa.Column("justification_text", sa.String(length=5000), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_decision_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_decision")),
    )
    with op.batch_alter_table("project_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_decision_project_id"), ["project_id"], unique=False
        )

    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_need_project_id"), ["project_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_project_id"))
        batch_op.drop_column("project_id")

    with op.batch_alter_table("project_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_decision_project_id"))

    op.drop_table("project_decision")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_status"))
        batch_op.drop_index(batch_op.f("ix_project_organisation_id"))

    op.drop_table("project")
    with op.batch_alter_table("organisation_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_member_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_organisation_member_account_id"))

    op.drop_table("organisation_member")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_siren"))

    op.drop_table("organisation")

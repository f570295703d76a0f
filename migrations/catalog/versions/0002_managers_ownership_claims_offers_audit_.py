"""managers: ownership, claims, offers, audit, provenance, mail outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 23:07:29.855409
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_entry_structure_id"), ["structure_id"], unique=False
        )

    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail")),
    )
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outgoing_mail_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "verification",
                "staff_review",
                "join",
                name="claimkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "refused",
                "cancelled",
                name="claimstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.String(length=1000), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structure.id"],
            name=op.f("fk_claim_structure_id_structure"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
    )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_structure_id"), ["structure_id"], unique=False)

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column(
            "role",
            sa.Enum("admin", "editor", name="memberrole", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structure.id"],
            name=op.f("fk_membership_structure_id_structure"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint("structure_id", "account_id", name=op.f("uq_membership_structure_id")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_membership_structure_id"), ["structure_id"], unique=False
        )

    op.create_table(
        "offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=5000), nullable=True),
        sa.Column("sector_slug", sa.String(length=128), nullable=False),
        sa.Column(
            "presta_type",
            sa.Enum("DISP", "PREST", "BUILD", name="prestatype", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("unit", sa.String(length=50), nullable=True),
        sa.Column("price_indication", sa.String(length=200), nullable=True),
        sa.Column("minimum_order", sa.String(length=200), nullable=True),
        sa.Column("capacity", sa.String(length=200), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("delivery_zone", sa.JSON(), nullable=True),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structure.id"],
            name=op.f("fk_offer_structure_id_structure"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer")),
    )
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_sector_slug"), ["sector_slug"], unique=False)
        batch_op.create_index(batch_op.f("ix_offer_structure_id"), ["structure_id"], unique=False)

    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("inferred", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))

    with op.batch_alter_table("commune", schema=None) as batch_op:
        batch_op.add_column(sa.Column("zrr_status", sa.String(length=2), nullable=True))
        batch_op.add_column(
            sa.Column("qpv_count", sa.Integer(), nullable=False, server_default="0")
        )

    with op.batch_alter_table("structure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo_url", sa.String(length=512), nullable=True))
        batch_op.add_column(
            sa.Column("is_qpv", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("is_zrr", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("headcount_insertion", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("headcount_permanent", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("turnover_eur", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("year_founded", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("networks", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("labels", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("client_references", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))
        batch_op.add_column(
            sa.Column("field_sources", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("structure", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("field_sources")
        batch_op.drop_column("contact_email")
        batch_op.drop_column("client_references")
        batch_op.drop_column("labels")
        batch_op.drop_column("networks")
        batch_op.drop_column("year_founded")
        batch_op.drop_column("turnover_eur")
        batch_op.drop_column("headcount_permanent")
        batch_op.drop_column("headcount_insertion")
        batch_op.drop_column("is_zrr")
        batch_op.drop_column("is_qpv")
        batch_op.drop_column("logo_url")

    with op.batch_alter_table("commune", schema=None) as batch_op:
        batch_op.drop_column("qpv_count")
        batch_op.drop_column("zrr_status")

    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("inferred")

    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_structure_id"))
        batch_op.drop_index(batch_op.f("ix_offer_sector_slug"))

    op.drop_table("offer")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_structure_id"))
        batch_op.drop_index(batch_op.f("ix_membership_account_id"))

    op.drop_table("membership")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_structure_id"))
        batch_op.drop_index(batch_op.f("ix_claim_status"))
        batch_op.drop_index(batch_op.f("ix_claim_account_id"))

    op.drop_table("claim")
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outgoing_mail_sent_at"))

    op.drop_table("outgoing_mail")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_structure_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))

    op.drop_table("audit_entry")

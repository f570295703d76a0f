"""needs, matches, answers, mail outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 23:51:34.325328
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
        "need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("buyer_account_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_email", sa.String(length=254), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "appel_offres",
                "demande_devis",
                "projet_achat",
                name="needkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=10000), nullable=False),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("cpv_codes", sa.JSON(), nullable=False),
        sa.Column("place_level", sa.String(length=16), nullable=True),
        sa.Column("place_code", sa.String(length=5), nullable=True),
        sa.Column("presta_types", sa.JSON(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("reservation", sa.String(length=24), nullable=True),
        sa.Column("amount_min_eur", sa.Integer(), nullable=True),
        sa.Column("amount_max_eur", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "moderation",
                "published",
                "closed",
                "cancelled",
                name="needstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need")),
    )
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_need_buyer_account_id"), ["buyer_account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_need_status"), ["status"], unique=False)

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
        "need_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "interested",
                "not_interested",
                "groupement",
                name="answerstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_need_answer_need_id_need"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_answer")),
        sa.UniqueConstraint("need_id", "structure_id", name=op.f("uq_need_answer_need_id")),
    )
    with op.batch_alter_table("need_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_answer_need_id"), ["need_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_need_answer_structure_id"), ["structure_id"], unique=False
        )

    op.create_table(
        "need_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("structure_name", sa.String(length=255), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("last_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_need_match_need_id_need"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_match")),
        sa.UniqueConstraint("need_id", "structure_id", name=op.f("uq_need_match_need_id")),
    )
    with op.batch_alter_table("need_match", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_match_need_id"), ["need_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_need_match_structure_id"), ["structure_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("need_match", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_match_structure_id"))
        batch_op.drop_index(batch_op.f("ix_need_match_need_id"))

    op.drop_table("need_match")
    with op.batch_alter_table("need_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_answer_structure_id"))
        batch_op.drop_index(batch_op.f("ix_need_answer_need_id"))

    op.drop_table("need_answer")
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outgoing_mail_sent_at"))

    op.drop_table("outgoing_mail")
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_status"))
        batch_op.drop_index(batch_op.f("ix_need_buyer_account_id"))

    op.drop_table("need")

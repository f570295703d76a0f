"""favourites, saved searches, digests

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:16:34.456366
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "favourite_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_account_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favourite_list")),
        sa.UniqueConstraint(
            "owner_account_id", "name_key", name=op.f("uq_favourite_list_owner_account_id")
        ),
    )
    with op.batch_alter_table("favourite_list", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_favourite_list_owner_account_id"), ["owner_account_id"], unique=False
        )

    op.create_table(
        "saved_search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_account_id", sa.String(length=64), nullable=False),
        sa.Column("owner_email", sa.String(length=254), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("query", sa.String(length=4000), nullable=False),
        sa.Column(
            "frequency",
            sa.Enum("daily", "weekly", "none", name="frequency", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("link_salt", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search")),
        sa.UniqueConstraint(
            "owner_account_id", "name_key", name=op.f("uq_saved_search_owner_account_id")
        ),
    )
    with op.batch_alter_table("saved_search", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_search_frequency"), ["frequency"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_saved_search_owner_account_id"), ["owner_account_id"], unique=False
        )

    op.create_table(
        "favourite_structure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("kind_label", sa.String(length=128), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("postcode", sa.String(length=5), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("department_code", sa.String(length=3), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["favourite_list.id"],
            name=op.f("fk_favourite_structure_list_id_favourite_list"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favourite_structure")),
        sa.UniqueConstraint("list_id", "structure_id", name=op.f("uq_favourite_structure_list_id")),
    )
    with op.batch_alter_table("favourite_structure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_favourite_structure_list_id"), ["list_id"], unique=False
        )

    op.create_table(
        "saved_search_structure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("saved_search_id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["saved_search_id"],
            ["saved_search.id"],
            name=op.f("fk_saved_search_structure_saved_search_id_saved_search"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search_structure")),
        sa.UniqueConstraint(
            "saved_search_id",
            "structure_id",
            name=op.f("uq_saved_search_structure_saved_search_id"),
        ),
    )
    with op.batch_alter_table("saved_search_structure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_saved_search_structure_saved_search_id"),
            ["saved_search_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("saved_search_structure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_search_structure_saved_search_id"))

    op.drop_table("saved_search_structure")
    with op.batch_alter_table("favourite_structure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_favourite_structure_list_id"))

    op.drop_table("favourite_structure")
    with op.batch_alter_table("saved_search", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_search_owner_account_id"))
        batch_op.drop_index(batch_op.f("ix_saved_search_frequency"))

    op.drop_table("saved_search")
    with op.batch_alter_table("favourite_list", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_favourite_list_owner_account_id"))

    op.drop_table("favourite_list")

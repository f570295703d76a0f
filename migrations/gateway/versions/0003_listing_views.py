"""listing views: the day's salt, today's visitor keys, daily counts per structure

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "view_salt",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_view_salt")),
    )
    op.create_table(
        "listing_visit",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("visitor", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day", "structure_id", "visitor", name=op.f("pk_listing_visit")),
    )
    op.create_table(
        "listing_view_day",
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("structure_id", "day", name=op.f("pk_listing_view_day")),
    )


def downgrade() -> None:
    op.drop_table("listing_view_day")
    op.drop_table("listing_visit")
    op.drop_table("view_salt")

"""needs: partner reference and details

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 00:40:37.870747
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_ref", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.create_index(batch_op.f("ix_need_external_ref"), ["external_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_external_ref"))
        batch_op.drop_column("details")
        batch_op.drop_column("external_ref")

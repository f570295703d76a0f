"""claim proofs: the document a staff-reviewed claim is decided on

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proof_file", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("proof_media_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("proof_size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("proof_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("proof_uploaded_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_column("proof_uploaded_at")
        batch_op.drop_column("proof_sha256")
        batch_op.drop_column("proof_size")
        batch_op.drop_column("proof_media_type")
        batch_op.drop_column("proof_file")

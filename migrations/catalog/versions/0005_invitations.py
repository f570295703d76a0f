"""invitations to manage a structure; structures' folded names for the lookup by name

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.text import fold

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "editor", name="memberrole", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.String(length=64), nullable=False),
        sa.Column("invited_by_email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.String(length=64), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structure.id"],
            name=op.f("fk_invitation_structure_id_structure"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_invitation_structure_id"), ["structure_id"], unique=False
        )
    with op.batch_alter_table("structure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_name", sa.String(length=520), nullable=True))
    _fold_existing_names()


def _fold_existing_names() -> None:
    """The names already imported, folded as the catalog folds them on every write."""
    connection = op.get_bind()
    structure = sa.table(
        "structure",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("brand", sa.String()),
        sa.column("search_name", sa.String()),
    )
    rows = connection.execute(sa.select(structure.c.id, structure.c.name, structure.c.brand)).all()
    values = [
        {"row_id": row.id, "folded": fold(f"{row.name} {row.brand or ''}")[:520]} for row in rows
    ]
    update = (
        structure.update()
        .where(structure.c.id == sa.bindparam("row_id"))
        .values(search_name=sa.bindparam("folded"))
    )
    for start in range(0, len(values), BATCH):
        connection.execute(update, values[start : start + BATCH])


def downgrade() -> None:
    with op.batch_alter_table("structure", schema=None) as batch_op:
        batch_op.drop_column("search_name")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_structure_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_email"))
    op.drop_table("invitation")

"""structures, activities, reference data, outbox, import runs

Revision ID: 0001
Revises:
Create Date: 2026-11-24 22:47:11.474709
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commune",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=4), nullable=False),
        sa.Column("department_code", sa.String(length=3), nullable=False),
        sa.Column("region_code", sa.String(length=3), nullable=False),
        sa.Column("parent_code", sa.String(length=5), nullable=True),
        sa.Column("postcodes", sa.JSON(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_commune")),
    )
    with op.batch_alter_table("commune", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commune_department_code"), ["department_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_commune_region_code"), ["region_code"], unique=False)

    op.create_table(
        "cpv_code",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent_code", sa.String(length=8), nullable=True),
        sa.Column("label_fr", sa.String(), nullable=False),
        sa.Column("label_en", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_cpv_code")),
    )
    op.create_table(
        "department",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("region_code", sa.String(length=3), nullable=False),
        sa.Column("zone", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_department")),
    )
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_department_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("delisted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_run")),
    )
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_run_source"), ["source"], unique=False)

    op.create_table(
        "naf_code",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("ape", sa.String(length=5), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("division", sa.String(length=2), nullable=False),
        sa.Column("section", sa.String(length=1), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_naf_code")),
        sa.UniqueConstraint("ape", name=op.f("uq_naf_code_ape")),
    )
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
    )
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_event_processed_at"), ["processed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_event_structure_id"), ["structure_id"], unique=False
        )

    op.create_table(
        "region",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("zone", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_region")),
    )
    op.create_table(
        "sector_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sector_group")),
        sa.UniqueConstraint("slug", name=op.f("uq_sector_group_slug")),
    )
    op.create_table(
        "structure",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("family", sa.String(length=16), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("finess", sa.String(length=9), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("brand", sa.String(length=255), nullable=True),
        sa.Column("naf", sa.String(length=5), nullable=True),
        sa.Column("legal_form", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("postcode", sa.String(length=5), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("department_code", sa.String(length=3), nullable=True),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("coordinates_source", sa.String(length=32), nullable=True),
        sa.Column("website", sa.String(length=512), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_updated_at", sa.Date(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structure")),
        sa.UniqueConstraint("import_key", name=op.f("uq_structure_import_key")),
    )
    with op.batch_alter_table("structure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_structure_commune_code"), ["commune_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_structure_department_code"), ["department_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_structure_family"), ["family"], unique=False)
        batch_op.create_index(batch_op.f("ix_structure_finess"), ["finess"], unique=False)
        batch_op.create_index(batch_op.f("ix_structure_is_active"), ["is_active"], unique=False)
        batch_op.create_index(batch_op.f("ix_structure_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_structure_siren"), ["siren"], unique=False)
        batch_op.create_index(batch_op.f("ix_structure_siret"), ["siret"], unique=False)

    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("sector_slug", sa.String(length=128), nullable=False),
        sa.Column("presta_types", sa.JSON(), nullable=False),
        sa.Column("range_kind", sa.String(length=16), nullable=False),
        sa.Column("radius_km", sa.Integer(), nullable=True),
        sa.Column("zones", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structure.id"],
            name=op.f("fk_activity_structure_id_structure"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_sector_slug"), ["sector_slug"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_activity_structure_id"), ["structure_id"], unique=False
        )

    op.create_table(
        "sector",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["sector_group.id"], name=op.f("fk_sector_group_id_sector_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sector")),
        sa.UniqueConstraint("slug", name=op.f("uq_sector_slug")),
    )
    with op.batch_alter_table("sector", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sector_group_id"), ["group_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sector", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sector_group_id"))

    op.drop_table("sector")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_structure_id"))
        batch_op.drop_index(batch_op.f("ix_activity_sector_slug"))

    op.drop_table("activity")
    with op.batch_alter_table("structure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_structure_siret"))
        batch_op.drop_index(batch_op.f("ix_structure_siren"))
        batch_op.drop_index(batch_op.f("ix_structure_kind"))
        batch_op.drop_index(batch_op.f("ix_structure_is_active"))
        batch_op.drop_index(batch_op.f("ix_structure_finess"))
        batch_op.drop_index(batch_op.f("ix_structure_family"))
        batch_op.drop_index(batch_op.f("ix_structure_department_code"))
        batch_op.drop_index(batch_op.f("ix_structure_commune_code"))

    op.drop_table("structure")
    op.drop_table("sector_group")
    op.drop_table("region")
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_event_structure_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_event_processed_at"))

    op.drop_table("outbox_event")
    op.drop_table("naf_code")
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_run_source"))

    op.drop_table("import_run")
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_department_region_code"))

    op.drop_table("department")
    op.drop_table("cpv_code")
    with op.batch_alter_table("commune", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commune_region_code"))
        batch_op.drop_index(batch_op.f("ix_commune_department_code"))

    op.drop_table("commune")

"""initial journal schema

Revision ID: 0001_initial
Revises: (none)
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("name", name=op.f("uq_person_name")),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("knowledge_version", sa.String(length=80), nullable=False),
        sa.Column("intake", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_assessment_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_person_id"), ["person_id"], unique=False)

    op.create_table(
        "night",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("bedtime", sa.String(length=5), nullable=True),
        sa.Column("lights_out", sa.String(length=5), nullable=True),
        sa.Column("sleep_latency_min", sa.Float(), nullable=True),
        sa.Column("awakenings", sa.Integer(), nullable=True),
        sa.Column("awake_min", sa.Float(), nullable=True),
        sa.Column("wake_time", sa.String(length=5), nullable=True),
        sa.Column("out_of_bed", sa.String(length=5), nullable=True),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("daytime_sleepiness", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("awake_min >= 0", name=op.f("ck_night_awake_nonnegative")),
        sa.CheckConstraint("awakenings >= 0", name=op.f("ck_night_awakenings_nonnegative")),
        sa.CheckConstraint("quality BETWEEN 1 AND 5", name=op.f("ck_night_quality_1_5")),
        sa.CheckConstraint("sleep_latency_min >= 0", name=op.f("ck_night_latency_nonnegative")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_night_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_night")),
        sa.UniqueConstraint("person_id", "date", name="uq_night_person_date"),
    )
    with op.batch_alter_table("night", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_night_person_id"), ["person_id"], unique=False)

    op.create_table(
        "episode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("night_id", sa.Integer(), nullable=False),
        sa.Column("time", sa.String(length=5), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=True),
        sa.Column("body_parts", sa.JSON(), nullable=True),
        sa.Column("intensity", sa.Integer(), nullable=True),
        sa.Column("woke", sa.Boolean(), nullable=True),
        sa.Column("observed_by", sa.String(length=20), nullable=True),
        sa.Column("pattern", sa.String(length=20), nullable=True),
        sa.Column("interval_seconds", sa.Float(), nullable=True),
        sa.Column("pain", sa.Boolean(), nullable=True),
        sa.Column("spreading", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("intensity BETWEEN 1 AND 5", name=op.f("ck_episode_intensity_1_5")),
        sa.ForeignKeyConstraint(
            ["night_id"], ["night.id"], name=op.f("fk_episode_night_id_night"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode")),
    )
    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_episode_night_id"), ["night_id"], unique=False)

    op.create_table(
        "exposure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("night_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["night_id"], ["night.id"], name=op.f("fk_exposure_night_id_night"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure")),
        sa.UniqueConstraint("night_id", "name", name="uq_exposure_night_name"),
    )
    with op.batch_alter_table("exposure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exposure_night_id"), ["night_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exposure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exposure_night_id"))

    op.drop_table("exposure")
    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_episode_night_id"))

    op.drop_table("episode")
    with op.batch_alter_table("night", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_night_person_id"))

    op.drop_table("night")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_person_id"))

    op.drop_table("assessment")
    op.drop_table("person")

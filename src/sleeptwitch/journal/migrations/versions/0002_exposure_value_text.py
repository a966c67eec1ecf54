"""exposure values kept exactly on SQLite

SQLite gives a column declared JSON numeric affinity, so an exposure whose value is a bare number
was stored as a REAL and could come back rounded. On SQLite the column becomes TEXT (the table
is copied, as SQLite cannot change a column's type in place); other databases are unchanged.

Revision ID: 0002_exposure_value_text
Revises: 0001_initial
Create Date: 2026-11-21
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002_exposure_value_text"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # The copy casts REALs to text with 15 significant digits (0.1 + 0.2 would become 0.3 and
    # the largest double infinity), so numbers are read first, as the exact doubles they are,
    # and written back as JSON after the copy.
    numbers = bind.execute(sa.text(
        "SELECT id, value FROM exposure WHERE typeof(value) = 'real'")).all()
    with op.batch_alter_table("exposure") as batch:
        batch.alter_column("value", existing_type=sa.JSON(), type_=sa.Text(),
                           existing_nullable=False)
    if numbers:
        bind.execute(sa.text("UPDATE exposure SET value = :value WHERE id = :id"),
                     [{"id": row.id, "value": json.dumps(row.value)} for row in numbers])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("exposure") as batch:
        batch.alter_column("value", existing_type=sa.Text(), type_=sa.JSON(),
                           existing_nullable=False)

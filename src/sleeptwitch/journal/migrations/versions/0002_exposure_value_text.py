"""exposure values kept exactly on SQLite

SQLite gives a column declared JSON numeric affinity, so an exposure whose value is a bare number
was stored as a REAL and could come back rounded. On SQLite the column becomes TEXT (the table
is copied, as SQLite cannot change a column's type in place); other databases are unchanged.

Revision ID: 0002_exposure_value_text
Revises: 0001_initial
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_exposure_value_text"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("exposure") as batch:
        batch.alter_column("value", existing_type=sa.JSON(), type_=sa.Text(),
                           existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("exposure") as batch:
        batch.alter_column("value", existing_type=sa.Text(), type_=sa.JSON(),
                           existing_nullable=False)

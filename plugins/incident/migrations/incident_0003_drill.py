"""Incidents declared in a practice room are drills: marked, so that metrics, paging and the
status page leave them out.

Revision ID: incident_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "incident_0003"
down_revision = "incident_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("drill", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("drill")

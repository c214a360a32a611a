"""The incident room's live status message (edited in place where the platform can).

Revision ID: incident_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "incident_0002"
down_revision = "incident_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("status_message_id", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("status_message_id")

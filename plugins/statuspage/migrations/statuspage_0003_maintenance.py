"""Status page: scheduled maintenance (a public incident of kind maintenance, with its window).

Revision ID: statuspage_0003
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "statuspage_0003"
down_revision = "statuspage_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_incidents") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="incident"))
        batch.add_column(sa.Column("scheduled_for", UTCDateTime, nullable=True))
        batch.add_column(sa.Column("scheduled_until", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_incidents") as batch:
        batch.drop_column("scheduled_until")
        batch.drop_column("scheduled_for")
        batch.drop_column("kind")

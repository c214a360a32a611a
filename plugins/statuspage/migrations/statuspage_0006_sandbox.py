"""Publications of drills (practice incidents) go to a sandbox: rows of their own, never the real page.

Revision ID: statuspage_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "statuspage_0006"
down_revision = "statuspage_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_incidents") as batch:
        batch.add_column(sa.Column("sandbox", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("status_incidents") as batch:
        batch.drop_column("sandbox")

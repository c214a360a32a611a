"""Status page: drafts carry the public title (the incident's own title stays internal).

Revision ID: statuspage_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "statuspage_0004"
down_revision = "statuspage_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_drafts") as batch:
        batch.add_column(sa.Column("title", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_drafts") as batch:
        batch.drop_column("title")

"""Action items' issues in trackers, and where each postmortem was published.

Revision ID: postmortem_0002
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "postmortem_0002"
down_revision = "postmortem_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("postmortems") as batch:
        batch.add_column(sa.Column("published_to", sa.JSON, nullable=True))
    op.create_table(
        "action_item_links",
        sa.Column("item_id", sa.Integer, primary_key=True),
        sa.Column("exporter", sa.String(50), primary_key=True),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("ref", sa.String(255), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_action_item_links_external", "action_item_links", ["exporter", "external_id"], unique=True
    )


def downgrade() -> None:
    op.drop_table("action_item_links")
    with op.batch_alter_table("postmortems") as batch:
        batch.drop_column("published_to")

"""Links between incidents: related incidents and merged duplicates (``links.incident_links``).

A branch of its own (depending on the incidents table's first revision), so
it never competes with the next ``incident_000N`` revision for a head.

Revision ID: incident_links_0001
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "incident_links_0001"
down_revision = None
branch_labels = ("incident_links",)
depends_on = "incident_0001"


def upgrade() -> None:
    op.create_table(
        "incident_links",
        sa.Column("incident_id", sa.Integer, primary_key=True),
        sa.Column("other_id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("incident_links")

"""Status page: deliveries to external publishers, and the ids they gave our incidents.

Revision ID: statuspage_0002
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "statuspage_0002"
down_revision = "statuspage_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("publisher", sa.String(100), nullable=False),
        sa.Column("incident_id", sa.Integer, nullable=True),
        sa.Column("status_incident_id", sa.Integer, nullable=False),
        sa.Column("change", sa.JSON, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
        sa.Column("gave_up_at", UTCDateTime, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_status_deliveries_due", "status_deliveries", ["delivered_at", "next_at"])
    op.create_table(
        "status_external_ids",
        sa.Column("publisher", sa.String(100), primary_key=True),
        sa.Column("status_incident_id", sa.Integer, primary_key=True),
        sa.Column("external_id", sa.String(255), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("status_external_ids")
    op.drop_table("status_deliveries")

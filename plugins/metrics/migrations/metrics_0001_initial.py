"""Incident milestones and labels for metrics.

Revision ID: metrics_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "metrics_0001"
down_revision = None
branch_labels = ("metrics",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "incident_milestones",
        sa.Column("incident_id", sa.Integer, primary_key=True),
        sa.Column("severity", sa.Integer, nullable=False),
        sa.Column("near_miss", sa.Boolean, nullable=False),
        sa.Column("detected_s", sa.BigInteger, nullable=False),
        sa.Column("started_s", sa.BigInteger, nullable=True),
        sa.Column("paged_s", sa.BigInteger, nullable=True),
        sa.Column("acked_s", sa.BigInteger, nullable=True),
        sa.Column("mitigated_s", sa.BigInteger, nullable=True),
        sa.Column("resolved_s", sa.BigInteger, nullable=True),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("quarter", sa.String(7), nullable=False),
    )
    op.create_index("ix_incident_milestones_detected", "incident_milestones", ["detected_s"])
    op.create_table(
        "incident_labels",
        sa.Column("incident_id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("value", sa.String(500), primary_key=True),
        sa.Column("detected_s", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_incident_labels_value", "incident_labels", ["kind", "value", "detected_s"])


def downgrade() -> None:
    op.drop_table("incident_labels")
    op.drop_table("incident_milestones")

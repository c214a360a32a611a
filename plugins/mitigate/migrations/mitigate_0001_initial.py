"""Mitigation runs: who asked for what, who confirmed it, and what came of it.

Revision ID: mitigate_0001
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "mitigate_0001"
down_revision = None
branch_labels = ("mitigate",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "mitigation_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("room_id", sa.String(255), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("args", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_by", sa.String(255), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("confirmed_by", sa.String(255), nullable=True),
        sa.Column("started_at", UTCDateTime, nullable=True),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.Column("result", sa.Text, nullable=True),
    )
    op.create_index("ix_mitigation_runs_incident", "mitigation_runs", ["incident_id", "id"])
    op.create_index("ix_mitigation_runs_status", "mitigation_runs", ["status"])


def downgrade() -> None:
    op.drop_table("mitigation_runs")

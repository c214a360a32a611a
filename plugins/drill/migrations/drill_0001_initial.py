"""Drills: a practice incident's scenario snapshot, room, IC, participants, pauses and debrief.

Revision ID: drill_0001
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "drill_0001"
down_revision = None
branch_labels = ("drill",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "drills",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scenario", sa.String(48), nullable=False),
        sa.Column("script", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("room_id", sa.String(255), nullable=True),
        sa.Column("room_name", sa.String(255), nullable=False),
        sa.Column("started_by", sa.String(255), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("ic", sa.String(100), nullable=False),
        sa.Column("participants", sa.JSON, nullable=False),
        sa.Column("incident_id", sa.Integer, nullable=True),
        sa.Column("paused_at", UTCDateTime, nullable=True),
        sa.Column("paused_s", sa.BigInteger, nullable=False),
        sa.Column("ended_at", UTCDateTime, nullable=True),
        sa.Column("ended_how", sa.String(20), nullable=True),
        sa.Column("debrief", sa.Text, nullable=True),
    )
    op.create_index("ix_drills_room", "drills", ["room_id"])
    op.create_index("ix_drills_incident", "drills", ["incident_id"])


def downgrade() -> None:
    op.drop_table("drills")

"""Publishers' deliveries move to the core's deliveries table; those still waiting move with them.

Revision ID: statuspage_0005
"""

import json
import uuid

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "statuspage_0005"
down_revision = "statuspage_0004"
branch_labels = None
depends_on = "core_0005"

KIND = "statuspage.publish"


def upgrade() -> None:
    bind = op.get_bind()
    waiting = bind.execute(
        sa.text(
            "SELECT publisher, change, attempts, next_at FROM status_deliveries "
            "WHERE delivered_at IS NULL AND gave_up_at IS NULL ORDER BY id"
        )
    ).all()
    for row in waiting:
        change = row.change if isinstance(row.change, dict) else json.loads(row.change)
        bind.execute(
            sa.text(
                "INSERT INTO chatops_deliveries (kind, key, lane, payload, attempts, created_at, next_at) "
                "VALUES (:kind, :key, :lane, :payload, :attempts, :next_at, :next_at)"
            ),
            {
                "kind": KIND,
                "key": f"{KIND}:{row.publisher}:{uuid.uuid4().hex}",
                "lane": f"{KIND}:{row.publisher}",
                "payload": json.dumps({"publisher": row.publisher, "change": change}),
                "attempts": row.attempts,
                "next_at": row.next_at,
            },
        )
    op.drop_table("status_deliveries")


def downgrade() -> None:
    # The table comes back empty: what waits in the core's table stays there, undelivered.
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

"""The ``drills`` table, as its migration builds it.

A drill keeps a snapshot of its scenario: editing the file while a drill
runs (or restarts) changes nothing for it.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, String, Table, Text

from chatops.storage.types import UTCDateTime

metadata = MetaData()

drills = Table(
    "drills",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scenario", String(48), nullable=False),
    Column("script", JSON, nullable=False),  # the scenario as it was when the drill started
    Column("state", String(20), nullable=False),  # opening | running | paused | ended | failed
    Column("room_id", String(255), nullable=True),
    Column("room_name", String(255), nullable=False),
    Column("started_by", String(255), nullable=False),  # the chat account
    Column("started_at", UTCDateTime, nullable=False),
    Column("ic", String(100), nullable=False),  # a key of oncall.people
    Column("participants", JSON, nullable=False),  # keys of oncall.people, in the order they joined
    Column("incident_id", Integer, nullable=True),
    Column("paused_at", UTCDateTime, nullable=True),
    Column("paused_s", BigInteger, nullable=False),  # every finished pause, in seconds
    Column("ended_at", UTCDateTime, nullable=True),
    Column("ended_how", String(20), nullable=True),  # resolved | stopped
    Column("debrief", Text, nullable=True),  # Markdown
)
Index("ix_drills_room", drills.c.room_id)
Index("ix_drills_incident", drills.c.incident_id)

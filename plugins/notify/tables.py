"""The notify plugin's tables, as its migration builds them."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

from chatops.storage.types import UTCDateTime

metadata = MetaData()
links = Table(
    "notify_links",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("page_id", Integer, nullable=False),
    Column("person", String(255), nullable=False),
    Column("channel", String(40), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)
inbound = Table(  # a Twilio message or call answered once, however often it is delivered
    "notify_inbound",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)

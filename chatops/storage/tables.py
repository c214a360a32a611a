"""The core's own tables: timers, domain events, outbox, transport cursors, buttons.

Plugins keep their tables in their own ``MetaData`` and migrations.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text

from chatops.storage.types import UTCDateTime

metadata = MetaData()

timers = Table(
    "chatops_timers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("kind", String(100), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(20), nullable=False),  # pending | done | failed | cancelled
    Column("created_at", UTCDateTime, nullable=False),
    Column("fired_at", UTCDateTime, nullable=True),
    Column("error", Text, nullable=True),
)
Index("ix_chatops_timers_pending", timers.c.state, timers.c.due_at)

events = Table(
    "chatops_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("stream", String(100), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("data", JSON, nullable=False),
)
Index("ix_chatops_events_stream", events.c.stream, events.c.id)

outbox = Table(
    "chatops_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("room_id", String(255), nullable=False),
    Column("thread_id", String(255), nullable=True),
    Column("content", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("to_user", String(255), nullable=True),  # a person: sent to their direct room
    Column("tag", String(255), nullable=True),  # what the message is about (page:17), to find it again
    Column("message_id", String(255), nullable=True),  # the platform's id once sent
    Column("idempotency_key", String(64), nullable=True),  # a direct send's, when it had to wait here
    # Copies of one message in bridged rooms share this key (``chatops.bridges``): an edit of one is an
    # edit of all.  A mirrored person's message: ``said:<room>:<message id>``.
    Column("copies", String(255), nullable=True),
)
Index("ix_chatops_outbox_unsent", outbox.c.sent_at, outbox.c.id)
Index("ix_chatops_outbox_tag", outbox.c.tag)
Index("ix_chatops_outbox_copies", outbox.c.copies, outbox.c.room_id, unique=True)
Index("ix_chatops_outbox_message", outbox.c.room_id, outbox.c.message_id)

room_links = Table(  # rooms bridged into one conversation (chatops.bridges)
    "chatops_room_links",
    metadata,
    Column("room_id", String(255), primary_key=True),
    Column("bridge", String(64), nullable=False),
    Column("linked_at", UTCDateTime, nullable=False),
)
Index("ix_chatops_room_links_bridge", room_links.c.bridge)

inbound = Table(  # commands claimed by event id, so replicas handle each once (chatops.claims)
    "chatops_inbound",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("claimed_at", UTCDateTime, nullable=False),
)
Index("ix_chatops_inbound_claimed_at", inbound.c.claimed_at)

cursors = Table(
    "chatops_cursors",
    metadata,
    Column("transport", String(100), primary_key=True),
    Column("cursor", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

buttons = Table(
    "chatops_buttons",
    metadata,
    Column("action_id", String(255), primary_key=True),
    Column("command", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

deliveries = Table(  # to systems other than chat: e-mail, push, SMS, webhooks (chatops.deliveries)
    "chatops_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(63), nullable=False),
    Column("key", String(255), nullable=False, unique=True),
    Column("lane", String(255), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("gave_up_at", UTCDateTime, nullable=True),
    Column("error", Text, nullable=True),
)
Index("ix_chatops_deliveries_due", deliveries.c.delivered_at, deliveries.c.gave_up_at, deliveries.c.next_at)

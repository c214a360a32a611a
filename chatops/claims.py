"""Inbound commands claimed by their platform event id, in the database (replicas).

The dispatcher's in-memory window (``chatops.dedup``) catches redeliveries
within one process.  With replicas on PostgreSQL a command can reach a
second process: Matrix resumes from the stored sync cursor after a
takeover, so the batch the old serving replica was handling when it died
comes again.  Claiming the event id in a table first makes the second
arrival a no-op.  A claim is one small write, shared with others in flight
by the group commit; SQLite (one process) does without it.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from chatops.storage.tables import inbound

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.models.chat import Message
    from chatops.storage.db import Tx

KEEP = timedelta(days=1)  # far longer than any platform redelivers or any takeover takes
PRUNE_EVERY = 1000  # claims between deletions of expired ones


class InboundClaims:
    def __init__(self, app: App) -> None:
        self.app = app
        self._since_prune = 0

    async def claim(self, message: Message) -> bool:
        """True for the first process to claim this event; False for every later arrival."""
        key = claim_key(message.room.transport, message.event_id)
        now = self.app.clock.now()
        prune = self._since_prune >= PRUNE_EVERY
        self._since_prune = 0 if prune else self._since_prune + 1

        async def write(tx: Tx) -> bool:
            dialect = postgresql if tx.conn.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(inbound).values(key=key, claimed_at=now).on_conflict_do_nothing()
            claimed = (await tx.execute(statement)).rowcount == 1
            if prune:
                await tx.execute(delete(inbound).where(inbound.c.claimed_at < now - KEEP))
            return claimed

        return await self.app.db.write(write)


def claim_key(transport: str, event_id: str) -> str:
    """``transport:event_id``, or a digest of it where that would not fit the column."""
    key = f"{transport}:{event_id}"
    return key if len(key) <= 255 else f"{transport}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"

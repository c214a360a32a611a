"""Where each transport got to: a persisted cursor, so a restart does not replay.

Matrix keeps its sync token here, Slack and Discord what they need to resume;
the dispatcher's in-memory window catches redeliveries within one process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from chatops.storage.tables import cursors

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx


class Cursors:
    def __init__(self, app: App) -> None:
        self.app = app

    async def load(self, transport: str) -> str | None:
        async with self.app.db.read() as conn:
            return await conn.scalar(select(cursors.c.cursor).where(cursors.c.transport == transport))

    async def save(self, transport: str, cursor: str) -> None:
        """Persist ``cursor`` (after the events before it were handled)."""

        async def write(tx: Tx) -> None:
            now = self.app.clock.now()
            changed = await tx.execute(
                update(cursors).where(cursors.c.transport == transport).values(cursor=cursor, updated_at=now)
            )
            if changed.rowcount == 0:
                await tx.execute(cursors.insert().values(transport=transport, cursor=cursor, updated_at=now))

        await self.app.db.write(write)

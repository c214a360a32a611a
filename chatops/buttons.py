"""What each button stands for, kept in the database so a button outlives a restart.

Platforms whose buttons carry only an id (Discord's ``custom_id``) look the
command up here when one is pressed; the row is written before the message
carrying the button is sent.  Unchanged buttons (the status message edited
again) cost no write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from chatops.models.content import Buttons, Content
from chatops.storage.tables import buttons

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx


class ButtonRegistry:
    def __init__(self, app: App) -> None:
        self.app = app
        self._known: dict[str, str] = {}

    async def remember(self, content: Content) -> None:
        """Store the command of every button in ``content`` (before it is sent)."""
        new = {
            b.action_id: b.command
            for block in content.blocks
            if isinstance(block, Buttons)
            for b in block.buttons
            if self._known.get(b.action_id) != b.command
        }
        if not new:
            return

        async def write(tx: Tx) -> None:
            now = self.app.clock.now()
            for action_id, command in new.items():
                changed = await tx.execute(
                    update(buttons)
                    .where(buttons.c.action_id == action_id)
                    .values(command=command, updated_at=now)
                )
                if changed.rowcount == 0:
                    await tx.execute(
                        buttons.insert().values(action_id=action_id, command=command, updated_at=now)
                    )

        await self.app.db.write(write)
        self._known.update(new)

    async def command(self, action_id: str) -> str | None:
        """The command a pressed button stands for, or None for a button we never sent."""
        known = self._known.get(action_id)
        if known is not None:
            return known
        async with self.app.db.read() as conn:
            found = await conn.scalar(select(buttons.c.command).where(buttons.c.action_id == action_id))
        if found is not None:
            self._known[action_id] = found
        return found

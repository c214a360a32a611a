"""A one-off command (``chatops export``, ``report``) reads the database; it neither sends nor fires timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from chatops.app import App
from chatops.config import load_config
from chatops.storage.tables import outbox, timers


async def test_a_one_off_command_leaves_the_outbox_and_the_timers_to_the_bot(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    config = load_config(None, db_url=url, environ={}, overrides={"database": {"auto_migrate": True}})
    app = App(config, transports={})
    await app.start(start_transports=False)
    past = datetime.now(UTC) - timedelta(minutes=5)

    async def seed(tx: object) -> None:
        await tx.execute(  # type: ignore[attr-defined]
            insert(outbox).values(room_id="slack:C1", content={"blocks": []}, created_at=past, attempts=0)
        )
        await tx.execute(  # type: ignore[attr-defined]
            insert(timers).values(
                key="t1", kind="incident.remind", due_at=past, payload={}, state="pending", created_at=past
            )
        )

    await app.db.write(seed)  # type: ignore[arg-type]
    await app.stop()

    again = App(config, transports={})
    await again.start(start_transports=False)  # what `chatops export` does
    async with again.db.read() as conn:
        attempts = await conn.scalar(select(outbox.c.attempts))
        state = await conn.scalar(select(timers.c.state).where(timers.c.key == "t1"))
    await again.stop()
    assert (attempts, state) == (0, "pending")  # the bot, when it runs, sends and fires them

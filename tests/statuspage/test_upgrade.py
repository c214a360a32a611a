"""Upgrading: a status page delivery still waiting in the old table is delivered from the core's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import text

from chatops.app import App
from chatops.config import load_config
from chatops.storage.migrate import alembic_config
from chatops_plugins.statuspage.delivery import KIND


async def test_a_waiting_delivery_moves_to_the_core_deliveries(tmp_path: Path) -> None:
    app = App(load_config(None, db_url=f"sqlite:///{tmp_path / 'old.db'}", environ={}), transports={})
    cfg = alembic_config(app.migration_locations())
    change = {"incident_id": 3, "status_incident_id": 1, "status": "investigating", "body": "Payments fail."}

    def at(target: str) -> Any:
        def run(connection: Any) -> None:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, target)

        return run

    async with app.db.engine.begin() as conn:
        await conn.run_sync(at("statuspage@statuspage_0004"))
        await conn.execute(
            text(
                "INSERT INTO status_deliveries (publisher, incident_id, status_incident_id, change, attempts, "
                "next_at, delivered_at) VALUES (:p, 3, 1, :c, :a, '2026-03-02 14:00:00.000000', :d)"
            ),
            [
                {"p": "atlassian", "c": '{"status": "old"}', "a": 0, "d": "2026-03-02 14:00:01.000000"},
                {"p": "atlassian", "c": json.dumps(change), "a": 2, "d": None},
            ],
        )
        await conn.run_sync(at("heads"))
        moved = (
            await conn.execute(text("SELECT kind, lane, payload, attempts FROM chatops_deliveries"))
        ).all()
        tables = {r[0] for r in await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
    await app.db.close()
    assert [(k, lane, a) for k, lane, _, a in moved] == [
        (KIND, f"{KIND}:atlassian", 2)
    ]  # the delivered one stays behind
    assert json.loads(moved[0][2]) == {"publisher": "atlassian", "change": change}
    assert "status_deliveries" not in tables

"""Alembic migrations for the core and every plugin, applied as one upgrade.

The core's revisions and each plugin's (from ``chatops_migration_locations``)
are separate branches; ``upgrade`` applies every head.  On PostgreSQL the
upgrade holds an advisory lock, so replicas starting together cannot race.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from chatops.storage.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x63686174  # "chat": the advisory lock key migrations hold on PostgreSQL


def alembic_config(locations: Iterable[str]) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join([str(MIGRATIONS / "versions"), *locations]))
    return cfg


async def upgrade(db: Database, locations: Iterable[str]) -> None:
    cfg = alembic_config(locations)

    def run(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")

    async with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            # Held until this transaction ends: a second replica waits here, then finds nothing to do.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(run)


async def pending(db: Database, locations: Iterable[str]) -> list[str]:
    """Revisions not yet applied (empty when the schema is current)."""
    cfg = alembic_config(locations)
    script = ScriptDirectory.from_config(cfg)

    def check(connection: Connection) -> list[str]:
        current = set(MigrationContext.configure(connection).get_current_heads())
        todo = []
        for rev in script.walk_revisions():
            if rev.revision not in current and not _is_ancestor(script, rev.revision, current):
                todo.append(rev.revision)
        return todo

    async with db.engine.connect() as conn:
        return await conn.run_sync(check)


def _is_ancestor(script: ScriptDirectory, revision: str, heads: set[str]) -> bool:
    for head in heads:
        for rev in script.iterate_revisions(head, "base"):
            if rev is not None and rev.revision == revision:
                return True
    return False

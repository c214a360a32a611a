"""Storage: migrations match the tables, writes are group-committed, a failing job is rolled back alone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, insert, select, text

from chatops.app import App
from chatops.config import load_config
from chatops.storage.db import Database, DatabaseURLError, Tx, async_url
from chatops.storage.tables import events
from chatops.storage.tables import metadata as core_metadata
from chatops_plugins.alerts.tables import metadata as alerts_metadata
from chatops_plugins.drill.tables import metadata as drill_metadata
from chatops_plugins.incident.links import metadata as incident_links_metadata
from chatops_plugins.incident.tables import metadata as incident_metadata
from chatops_plugins.metrics.tables import metadata as metrics_metadata
from chatops_plugins.mitigate.tables import metadata as mitigate_metadata
from chatops_plugins.notify.tables import metadata as notify_metadata
from chatops_plugins.oncall.tables import metadata as oncall_metadata
from chatops_plugins.postmortem.tables import metadata as postmortem_metadata
from chatops_plugins.statuspage.tables import metadata as statuspage_metadata


@pytest.fixture
async def app(any_db_url: str) -> Any:
    app = App(
        load_config(None, db_url=any_db_url, environ={}, overrides={"database": {"auto_migrate": True}}),
        transports={},
    )
    await app.start(start_transports=False)
    yield app
    await app.stop()


async def test_migrations_build_exactly_the_declared_tables(app: App) -> None:
    combined = MetaData()
    for source in (
        core_metadata,
        incident_metadata,
        incident_links_metadata,
        oncall_metadata,
        alerts_metadata,
        postmortem_metadata,
        metrics_metadata,
        statuspage_metadata,
        mitigate_metadata,
        notify_metadata,
        drill_metadata,
    ):
        for table in source.tables.values():
            table.to_metadata(combined)

    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return [
            d
            for d in compare_metadata(context, combined)
            if d[0] != "remove_table" or d[1].name != "alembic_version"
        ]

    async with app.db.read() as conn:
        assert await conn.run_sync(diff) == []


async def test_migrating_twice_is_harmless(app: App) -> None:
    await app.upgrade_database()
    from chatops.storage import migrate

    assert await migrate.pending(app.db, app.migration_locations()) == []


async def test_concurrent_writes_share_commits(app: App) -> None:
    before = app.db.commits

    async def job(tx: Tx, n: int) -> int:
        await tx.execute(
            insert(events).values(stream="s", kind="k", at=app.clock.now(), actor="a", data={"n": n})
        )
        return n

    results = await asyncio.gather(*(app.db.write(lambda tx, n=n: job(tx, n)) for n in range(50)))
    assert results == list(range(50))
    assert app.db.commits - before < 50  # group commit
    async with app.db.read() as conn:
        assert await conn.scalar(select(text("count(*)")).select_from(events)) == 50


async def test_a_failing_job_is_rolled_back_alone(app: App) -> None:
    async def good(tx: Tx) -> None:
        await tx.execute(
            insert(events).values(stream="good", kind="k", at=app.clock.now(), actor="a", data={})
        )

    async def bad(tx: Tx) -> None:
        await tx.execute(
            insert(events).values(stream="bad", kind="k", at=app.clock.now(), actor="a", data={})
        )
        raise RuntimeError("half-done work")

    outcomes = await asyncio.gather(
        app.db.write(good), app.db.write(bad), app.db.write(good), return_exceptions=True
    )
    assert isinstance(outcomes[1], RuntimeError)
    async with app.db.read() as conn:
        streams = (await conn.execute(select(events.c.stream))).scalars().all()
    assert sorted(streams) == ["good", "good"]


async def test_after_commit_actions_run_once_the_rows_are_durable(app: App) -> None:
    seen: list[int] = []

    async def job(tx: Tx) -> None:
        await tx.execute(insert(events).values(stream="s", kind="k", at=app.clock.now(), actor="a", data={}))

        async def after() -> None:
            async with app.db.read() as conn:
                seen.append(await conn.scalar(select(text("count(*)")).select_from(events)))

        tx.after_commit(after)

    await app.db.write(job)
    assert seen == [1]


def test_database_urls() -> None:
    assert async_url("sqlite:///./chatops.db") == "sqlite+aiosqlite:///./chatops.db"
    assert async_url("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    with pytest.raises(DatabaseURLError, match="unsupported database 'mysql'"):
        async_url("mysql://h/db")
    with pytest.raises(DatabaseURLError, match="not a database URL"):
        async_url("chatops.db")


async def test_sqlite_runs_in_wal_with_the_configured_synchronous_level(tmp_path: Any) -> None:
    for level, expected in (("NORMAL", 1), ("FULL", 2)):
        db = Database(f"sqlite:///{tmp_path / level}.db", synchronous=level)
        async with db.read() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == expected
        await db.close()


async def test_postgres_is_not_migrated_behind_the_operators_back(pg_url: str) -> None:
    from chatops.config import ConfigError

    app = App(load_config(None, db_url=pg_url, environ={}), transports={})
    with pytest.raises(ConfigError, match="chatops db upgrade"):
        await app.start(start_transports=False)
    await app.stop()


async def test_replicas_migrating_together_take_turns(pg_url: str) -> None:
    """Two replicas upgrading one fresh database at once: the advisory lock makes the second wait."""
    from chatops.storage import migrate

    apps = [App(load_config(None, db_url=pg_url, environ={}), transports={}) for _ in range(2)]
    try:
        await asyncio.gather(*(migrate.upgrade(app.db, app.migration_locations()) for app in apps))
        assert await migrate.pending(apps[0].db, apps[0].migration_locations()) == []
    finally:
        for app in apps:
            await app.db.close()

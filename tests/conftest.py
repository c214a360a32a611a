"""Shared fixtures: databases on SQLite and, where configured, on the machine's PostgreSQL.

PostgreSQL tests read ``CHATOPS_TEST_PG_URL`` (an admin URL such as
``postgresql://postgres@127.0.0.1:5432/postgres``).  Without it they skip
with a reason; under ``CI=true`` a missing URL fails them instead.  Each
test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from flag_service import flag_service as flag_service  # the local flag service (examples/flags-plugin)
from sqlalchemy.engine import make_url

PG_ENV = "CHATOPS_TEST_PG_URL"


def pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} is not set but CI=true: PostgreSQL tests must run in CI")
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/postgres)")
    return url


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    parsed = make_url(url)
    conn = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_pg_database() -> AsyncIterator[str]:
    """Create a database of this test's own; drop it afterwards."""
    admin = pg_admin_url()
    name = f"chatops_test_{uuid.uuid4().hex[:12]}"
    await _admin(admin, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test."""
    async with fresh_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture
async def any_db_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """The same test on SQLite and on PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'chatops.db'}"
        return
    async with fresh_pg_database() as url:
        yield url

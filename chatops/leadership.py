"""Several replicas on one PostgreSQL: one serves, the others stand by, hot.

A replica *serves* when it runs the transports, fires timers and delivers
the outbox.  Exactly one does at a time: it holds a session-level advisory
lock on a database connection of its own.  The others have migrated,
loaded their plugins and answer ``/healthz``; they ask for the lock every
second.  When the holder stops (SIGTERM releases the lock after in-flight
work), crashes (``kill -9`` closes its connection and PostgreSQL releases
the lock at once) or loses its lock connection (it takes the lock again on
a new one; if another replica was quicker, it stands down), one of them
takes over within about a second and starts where the database says
the other left off: unsent outbox rows, due timers, stored sync cursors.

Why one leader and not "every replica connects and claims": a Matrix
account with end-to-end encryption is one device whose Olm sessions and
one-time keys live in one process — two live copies corrupt each other;
a Discord gateway session sends every event to every connection; a room's
messages must leave in order.  A single sender per deployment keeps all
three simple and correct, and one replica already handles thousands of
alerts and commands a second (``docs/benchmarks.md``): replicas are for
availability, not throughput.  Timers are still claimed with ``FOR UPDATE
SKIP LOCKED``, so the moments when an old and a new leader overlap fire
nothing twice.

SQLite serves one process (``chatops.storage.single_writer``); there is
nothing to lead.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger("chatops.leadership")
ASK_EVERY_S = 1.0  # a standby replica asks for the lock this often
CHECK_EVERY_S = 1.0  # the leader checks the connection holding its lock this often
CHECK_TIMEOUT_S = 3.0  # a check unanswered this long counts as a lost connection (a hung TCP link)
LOCK_NAME = "chatops-serving"


def lock_key(name: str = LOCK_NAME) -> int:
    """A stable signed 64-bit advisory lock key."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL as asyncpg's ``connect`` reads it (without SQLAlchemy's own query
    options, which asyncpg would send to the server as settings)."""
    return make_url(url).set(drivername="postgresql", query={}).render_as_string(hide_password=False)


class Leadership:
    """Hold the serving lease, or wait for it; ``serve``/``stand_down`` do the work."""

    def __init__(
        self,
        url: str,
        serve: Callable[[], Awaitable[None]],
        stand_down: Callable[[], Awaitable[None]],
    ) -> None:
        self._dsn = asyncpg_dsn(url)
        self._serve = serve
        self._stand_down = stand_down
        self._connection: Any = None
        self._task: asyncio.Task[None] | None = None
        self.leading = False

    async def start(self) -> None:
        """Serve now if nobody does (a lone replica starts as before); else stand by."""
        await self._take(announce_standby=True)
        self._task = asyncio.create_task(self._keep(), name="chatops-leadership")

    async def _take(self, announce_standby: bool = False) -> bool:
        connection, reachable = await self._locked_connection()
        if connection is None:
            if announce_standby and reachable:
                log.warning("another replica is serving; this one stands by")
            return False
        self._connection = connection
        self.leading = True
        try:
            await self._serve()
        except BaseException:
            await self._give_up()
            raise
        log.warning("this replica now serves")
        return True

    async def _keep(self) -> None:
        while True:
            if self.leading:
                await asyncio.sleep(CHECK_EVERY_S)  # a periodic lease check, not synchronisation
                try:
                    await self._connection.fetchval("SELECT 1", timeout=CHECK_TIMEOUT_S)
                except Exception:
                    await self._relock()
            else:
                await asyncio.sleep(ASK_EVERY_S)  # asking another process for its lock, not synchronisation
                try:
                    await self._take()
                except Exception:
                    log.exception("taking over failed; asking again")

    async def _locked_connection(self) -> tuple[Any, bool]:
        """A new connection holding the lock, or None; and whether the database answered."""
        import asyncpg

        try:
            connection = await asyncpg.connect(self._dsn, timeout=CHECK_TIMEOUT_S)
        except Exception as exc:
            log.warning("cannot reach the database to ask for the serving lease: %s", exc)
            return None, False
        got = False
        try:
            got = await connection.fetchval(
                "SELECT pg_try_advisory_lock($1)", lock_key(), timeout=CHECK_TIMEOUT_S
            )
        except Exception as exc:
            log.warning("asking for the serving lease failed: %s", exc)
        finally:
            if not got:  # also when cancelled: never leave a connection that may hold the lock
                connection.terminate()
        return (connection if got else None), True

    async def _relock(self) -> None:
        """The connection holding the lock is gone or hung (a database restart, a network cut):
        take the lock again on a new one and go on serving, unless another replica took it."""
        old, self._connection = self._connection, None
        if old is not None:
            old.terminate()
        connection, _ = await self._locked_connection()
        if connection is not None:
            self._connection = connection
            log.warning("the serving lease's connection was lost; took the lease again on a new one")
            return
        log.error("lost the serving lease (another replica serves, or the database is gone); standing by")
        await self._give_up()

    async def _give_up(self) -> None:
        if self.leading:
            self.leading = False
            try:
                await self._stand_down()
            except Exception:
                log.exception("standing down did not finish cleanly")
        connection, self._connection = self._connection, None
        if connection is not None:
            await _close(connection)  # the session ends: PostgreSQL releases the lock

    async def stop(self) -> None:
        """Stop asking; if serving, stand down (in-flight work finishes) and release the lock."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._give_up()


async def _close(connection: Any) -> None:
    try:
        await asyncio.wait_for(connection.close(), 5)
    except Exception:
        connection.terminate()

"""The database: concurrent reads, and writes batched into group commits.

Every write is a *job*: ``async def job(tx) -> result``.  Jobs submitted
while a commit is in progress are run together in the next transaction and
all are acknowledged after that single commit.  Should one job fail, the
batch is rolled back and re-run with a SAVEPOINT per job, so the failing
job is rolled back alone; jobs therefore must only touch the database
(and ``tx.after_commit``), never other state, as they may run twice.  Fifty responders typing
notes at once cost one commit, not fifty; a job's caller still hears back
only once its rows are durable.  On SQLite this is also the single-writer
path, so writers never fight over the database lock.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.models.chat import ThreadRef, User
    from chatops.models.content import Content

log = logging.getLogger("chatops.storage")
T = TypeVar("T")
AfterCommit = Callable[[], Awaitable[None]]


class DatabaseURLError(ValueError):
    pass


def redact(url: str) -> str:
    """A URL fit for a message or a log: any password replaced by ***."""
    return re.sub(r"(//[^/:@]*:)[^@/]*@", r"\1***@", url)


def async_url(url: str) -> str:
    """``sqlite:///x.db`` -> ``sqlite+aiosqlite:///x.db``; ``postgresql://`` -> asyncpg."""
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - a bad port only fails when read
    except (ArgumentError, ValueError):
        raise DatabaseURLError(
            f"not a database URL: {redact(url)!r} (use sqlite:///./chatops.db or postgresql://user@host/db)"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return str(parsed.set(drivername="sqlite+aiosqlite"))
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise DatabaseURLError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


class Tx:
    """One write job's view of the transaction: a connection and after-commit actions."""

    __slots__ = ("_after", "app", "conn")

    def __init__(self, conn: AsyncConnection, app: App | None) -> None:
        self.conn = conn
        self.app = app
        self._after: list[AfterCommit] = []

    async def execute(self, statement: Any, params: Any = None) -> Any:
        return await self.conn.execute(statement, params)

    def after_commit(self, action: AfterCommit) -> None:
        """Run ``action`` once the transaction has committed (in the job's caller).

        The same action registered twice runs once (a hundred queued messages
        need one delivery pass).
        """
        if action not in self._after:
            self._after.append(action)

    async def send(
        self, room_id: str, content: str | Content, thread: ThreadRef | None = None, *, tag: str | None = None
    ) -> None:
        """Queue a chat message that is stored with this transaction and sent after it."""
        if self.app is None:
            raise RuntimeError("this transaction has no app to send through")
        await self.app.outbound.queue(self, room_id, content, thread, tag=tag)

    async def send_direct(self, user: User, content: str | Content, *, tag: str | None = None) -> None:
        """Queue a direct message to ``user`` (their direct room is found when it is sent)."""
        if self.app is None:
            raise RuntimeError("this transaction has no app to send through")
        await self.app.outbound.queue(self, user.id, content, None, tag=tag, to_user=user)


class SavepointTx(Tx):
    """A Tx for one observer: opens a SAVEPOINT on its first statement only.

    Observers that ignore an event cost nothing; one that writes and then
    fails is rolled back alone (``finish(ok=False)``), and its after-commit
    actions are dropped.
    """

    __slots__ = ("_parent", "_savepoint")

    def __init__(self, parent: Tx) -> None:
        super().__init__(parent.conn, parent.app)
        self._parent = parent
        self._savepoint: Any = None

    async def execute(self, statement: Any, params: Any = None) -> Any:
        if self._savepoint is None:
            self._savepoint = await self.conn.begin_nested()
        return await self.conn.execute(statement, params)

    async def finish(self, ok: bool) -> None:
        if self._savepoint is not None:
            if ok:
                await self._savepoint.commit()
            else:
                await self._savepoint.rollback()
        if ok:
            for action in self._after:
                self._parent.after_commit(action)


class Database:
    def __init__(
        self, url: str, *, synchronous: str = "NORMAL", app: App | None = None, job_timeout: float = 30.0
    ) -> None:
        self.url = async_url(url)
        self.app = app
        self.dialect = make_url(self.url).get_backend_name()
        self.engine: AsyncEngine = create_async_engine(self.url, **self._engine_options())
        if self.dialect == "sqlite":
            self._sqlite_setup(synchronous)
        self._pending: list[tuple[Callable[[Tx], Awaitable[Any]], asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._orphans: set[asyncio.Task[None]] = set()
        self.job_timeout = job_timeout
        self.commits = 0

    def sqlite_path(self) -> Path | None:
        """The SQLite file (None for PostgreSQL or an in-memory database)."""
        if self.dialect != "sqlite":
            return None
        name = make_url(self.url).database
        return None if not name or name == ":memory:" else Path(name).resolve()

    def _engine_options(self) -> dict[str, Any]:
        if self.dialect == "sqlite":
            return {"pool_size": 8, "max_overflow": 16}
        return {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}

    def _sqlite_setup(self, synchronous: str) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINTs; take it over
        # (the SQLAlchemy-documented recipe) and start write transactions
        # IMMEDIATE so a writer never fails to upgrade a read lock.
        sync_engine = self.engine.sync_engine

        @event.listens_for(sync_engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        @event.listens_for(sync_engine, "begin")
        def _begin(conn: Any) -> None:
            writer = conn.get_execution_options().get("chatops_writer", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reading (its transaction is rolled back at the end)."""
        async with self.engine.connect() as conn:
            yield conn

    async def write(self, job: Callable[[Tx], Awaitable[T]], *, answer_at_commit: bool = False) -> T:
        """Run ``job`` in the next group commit; return its result once committed.

        The job's after-commit actions run in the caller's task, so a command's
        reply follows them.  Should the caller be cancelled meanwhile, the
        actions still run (in a task of their own): the rows are committed and
        what they promised (a message, a notification) must follow.  With
        ``answer_at_commit`` the caller returns at the commit and the actions
        follow in a task of their own (a webhook answered once its payload is
        stored, not once chat has heard of it).
        """
        if self._writer is not None and asyncio.current_task() is self._writer:
            raise RuntimeError("db.write() called from inside a write job: use the job's tx instead")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((job, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        try:
            result, after = await asyncio.shield(future)
        except asyncio.CancelledError:
            future.add_done_callback(self._orphan)
            raise
        if answer_at_commit:
            self._detached(after)
            return result
        for index, action in enumerate(after):
            try:
                await action()
            except asyncio.CancelledError:
                self._detached(after[index:])
                raise
            except Exception:
                log.exception("an after-commit action failed")
        return result

    def _orphan(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._detached(future.result()[1])

    def _detached(self, actions: list[AfterCommit]) -> None:
        async def run() -> None:
            for action in actions:
                try:
                    await action()
                except Exception:
                    log.exception("an after-commit action failed")

        if actions:
            task = asyncio.get_running_loop().create_task(run())
            self._orphans.add(task)
            task.add_done_callback(self._orphans.discard)

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                await self._commit_batch(batch)
        finally:
            self._writer = None

    async def _commit_batch(
        self, batch: list[tuple[Callable[[Tx], Awaitable[Any]], asyncio.Future[Any]]]
    ) -> None:
        """Commit a batch optimistically; isolate jobs with savepoints only when one fails."""
        try:
            try:
                outcomes = await self._run_batch(batch, isolate=False)
            except Exception as first:
                if len(batch) == 1:
                    outcomes = [(batch[0][1], None, first, [])]
                else:  # rare: re-run with a SAVEPOINT per job so the others still commit
                    outcomes = await self._run_batch(batch, isolate=True)
        except BaseException as exc:
            for _job, future in batch:
                if not future.done():
                    future.set_exception(
                        exc if isinstance(exc, Exception) else RuntimeError("write cancelled")
                    )
            if not isinstance(exc, Exception):
                raise
            return
        for future, result, error, after in outcomes:
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result((result, after))

    async def _run_batch(
        self, batch: list[tuple[Callable[[Tx], Awaitable[Any]], asyncio.Future[Any]]], *, isolate: bool
    ) -> list[tuple[asyncio.Future[Any], Any, BaseException | None, list[AfterCommit]]]:
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None, list[AfterCommit]]] = []
        async with self.engine.connect() as conn:
            await conn.execution_options(chatops_writer=True)
            async with conn.begin():
                for job, future in batch:
                    tx = Tx(conn, self.app)
                    if not isolate:
                        async with asyncio.timeout(self.job_timeout):
                            result = await job(tx)  # an exception rolls the whole batch back
                    else:
                        try:
                            async with conn.begin_nested(), asyncio.timeout(self.job_timeout):
                                result = await job(tx)
                        except Exception as exc:
                            outcomes.append((future, None, exc, []))
                            continue
                    outcomes.append((future, result, None, tx._after))
        self.commits += 1
        return outcomes

    async def settled(self) -> None:
        """Return once the after-commit actions running in the background have finished."""
        while self._orphans:
            await asyncio.gather(*list(self._orphans), return_exceptions=True)

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.shield(self._writer)
        await self.settled()
        await self.engine.dispose()

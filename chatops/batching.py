"""Many callers, one handler call for all of them: batching at the domain level.

The database's group commit shares a *commit* among concurrent writers,
but each writer still runs its own statements.  Where hundreds of similar
items arrive at once (alert notifications in a storm), a handler that sees
the whole batch can store it with one statement per table.  ``Batcher``
collects items while the handler is busy and hands them over together;
each caller gets its own item's result (or the batch's exception) once the
handler returns, so "answered" still means "stored".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    """``await batcher.submit(item)``: run ``handler`` on the items that arrived together.

    ``handler`` receives the items in arrival order and returns one result per
    item, in the same order.  At most ``max_batch`` items go to one call.
    Should a call fail, its items are handled again one by one, so only the
    item that fails on its own hears of the failure (the handler must
    therefore be safe to repeat: a database job that rolled back is).
    """

    def __init__(
        self, handler: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]], *, max_batch: int = 500
    ) -> None:
        self._handler = handler
        self._max_batch = max_batch
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._worker is None:
            self._worker = asyncio.create_task(self._drain())
        return await asyncio.shield(future)  # a caller that gives up does not cancel the others' batch

    async def _drain(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
                try:
                    await self._run(batch)
                except Exception as exc:
                    if len(batch) == 1:
                        _settle(batch, exc)
                        continue
                    # One bad item must not fail the others: each is handled on its own.
                    for one in batch:
                        try:
                            await self._run([one])
                        except Exception as alone:
                            _settle([one], alone)
        finally:
            self._worker = None
            # Cancelled (the app stopping): nobody may wait forever for a batch that will not run.
            stopped = RuntimeError("the batcher was stopped")
            _settle(batch, stopped)
            _settle(self._pending, stopped)
            self._pending = []

    async def _run(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        results = await self._handler([item for item, _ in batch])
        if len(results) != len(batch):
            raise RuntimeError(f"the handler gave {len(results)} results for {len(batch)} items")
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def idle(self) -> None:
        """Return once every submitted item has been handled."""
        while self._worker is not None:
            await asyncio.shield(self._worker)


def _settle(batch: Sequence[tuple[object, asyncio.Future[Result]]], error: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)

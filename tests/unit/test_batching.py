"""Batcher: items that arrive while the handler is busy are handed over together."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from chatops.batching import Batcher


async def test_items_arriving_together_share_one_handler_call() -> None:
    calls: list[list[int]] = []
    gate = asyncio.Event()

    async def double(items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        if len(calls) == 1:
            await gate.wait()  # the first call is busy while the others arrive
        return [i * 2 for i in items]

    batcher: Batcher[int, int] = Batcher(double, max_batch=3)
    first = asyncio.ensure_future(batcher.submit(1))
    await asyncio.sleep(0)  # let the worker take the first item
    rest = [asyncio.ensure_future(batcher.submit(i)) for i in range(2, 7)]
    await asyncio.sleep(0)
    gate.set()
    assert await first == 2 and await asyncio.gather(*rest) == [4, 6, 8, 10, 12]
    assert calls == [[1], [2, 3, 4], [5, 6]]


async def test_one_bad_item_fails_alone_and_the_rest_of_its_batch_succeeds() -> None:
    calls: list[list[int]] = []

    async def picky(items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        if 13 in items:
            raise ValueError("unlucky")
        return list(items)

    batcher: Batcher[int, int] = Batcher(picky)
    results = await asyncio.gather(*(batcher.submit(i) for i in (12, 13, 14)), return_exceptions=True)
    assert results[0] == 12 and isinstance(results[1], ValueError) and results[2] == 14
    assert calls == [[12, 13, 14], [12], [13], [14]]
    assert await batcher.submit(7) == 7


async def test_a_handler_that_miscounts_is_an_error() -> None:
    async def lossy(items: Sequence[int]) -> list[int]:
        return []

    with pytest.raises(RuntimeError, match="gave 0 results for 1 items"):
        await Batcher(lossy).submit(1)

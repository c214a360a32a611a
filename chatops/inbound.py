"""Inbound work handled in order per room, rooms in parallel.

Push-based platforms (Slack, Discord) hand the transport one event at a
time, each on its own task.  A transport takes each event's place in its
room's line synchronously, as it arrives, and only then does anything that
waits (a name lookup, a database read, answering the platform): so two
commands typed quickly in a room are handled in the order they were typed.
A room's worker exists only while the room has work waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger("chatops.inbound")
Job = Callable[[], Awaitable[None]]


class RoomQueues:
    def __init__(self, name: str) -> None:
        self._name = name
        self._waiting: dict[str, deque[Job]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._accepted: set[asyncio.Task[None]] = set()

    def accept(self, work: Coroutine[Any, Any, None], kind: str) -> None:
        """Run ``work`` (reading one acknowledged payload) on a task of its own; returns at once.

        ``work`` takes its place in a room's line with ``submit`` or ``later``
        before it awaits anything, so payloads keep their order of arrival.
        """
        task = asyncio.create_task(work, name=f"{self._name}-{kind}")
        self._accepted.add(task)
        task.add_done_callback(self._accepted.discard)

    def submit(self, room: str, job: Job) -> None:
        """Queue ``job`` behind the room's earlier ones; returns at once (call it before awaiting)."""
        queue = self._waiting.get(room)
        if queue is not None:
            queue.append(job)
            return
        self._waiting[room] = deque([job])
        worker = asyncio.create_task(self._work(room), name=f"{self._name}-room-{room}")
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    def later(self, room: str) -> Callable[[Job | None], None]:
        """Take a place in the room's line now, and fill it once the job is known.

        The returned function must be called exactly once: with the job, or with
        None when there is nothing to run (the room's later work waits until then).
        """
        filled: asyncio.Future[Job | None] = asyncio.get_running_loop().create_future()

        async def place() -> None:
            job = await filled
            if job is not None:
                await job()

        self.submit(room, place)

        def fill(job: Job | None) -> None:
            if not filled.done():
                filled.set_result(job)

        return fill

    async def _work(self, room: str) -> None:
        queue = self._waiting[room]
        try:
            while queue:
                try:
                    await queue[0]()
                except Exception:
                    log.exception("handling inbound work in %s failed", room)
                queue.popleft()
        finally:
            self._waiting.pop(room, None)

    async def idle(self) -> None:
        """Wait until every accepted payload has been read and every queued job has run."""
        while self._accepted or self._workers:
            await asyncio.gather(*self._accepted, *self._workers, return_exceptions=True)

    async def stop(self) -> None:
        tasks = [*self._accepted, *self._workers]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._waiting.clear()

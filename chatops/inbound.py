"""Inbound messages handled in order per room, rooms in parallel.

Push-based platforms (Slack, Discord) hand the transport one event at a
time, each on its own task: without this, two commands typed quickly in a
room could be handled out of order.  A room's worker exists only while the
room has messages waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from chatops.models.chat import Message

log = logging.getLogger("chatops.inbound")


class RoomQueues:
    def __init__(self, handle: Callable[[Message], Awaitable[None]], name: str) -> None:
        self._handle = handle
        self._name = name
        self._waiting: dict[str, deque[Message]] = {}
        self._workers: set[asyncio.Task[None]] = set()

    def submit(self, message: Message) -> None:
        """Queue ``message`` behind the earlier ones of its room; returns at once."""
        room = message.room.id
        queue = self._waiting.get(room)
        if queue is not None:
            queue.append(message)
            return
        self._waiting[room] = deque([message])
        worker = asyncio.create_task(self._work(room), name=f"{self._name}-room-{room}")
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def _work(self, room: str) -> None:
        queue = self._waiting[room]
        try:
            while queue:
                message = queue[0]
                try:
                    await self._handle(message)
                except Exception:
                    log.exception("handling %r failed", message.event_id)
                queue.popleft()
        finally:
            del self._waiting[room]

    async def idle(self) -> None:
        """Wait until every queued message has been handled."""
        while self._workers:
            await asyncio.gather(*list(self._workers), return_exceptions=True)

    async def stop(self) -> None:
        for worker in list(self._workers):
            worker.cancel()
        await asyncio.gather(*list(self._workers), return_exceptions=True)

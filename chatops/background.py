"""Work a command starts but must not wait for: it outlives the handler's time limit.

A mitigation that runs for a minute cannot run inside its command (handlers
are cut off after ``core.hook_timeout_s``).  The handler hands it to
``app.background.start``; the work bounds itself, and the app waits for it
before it stands down, so a graceful stop never interrupts it half-way.
The test harness waits for it too, so a test sees its result without sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("chatops.background")


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closing = False  # standing down: new work is refused, running work finishes

    def open(self) -> None:
        self.closing = False

    def start(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``work`` as its own task; a failure is logged, never lost silently.

        Callers check ``closing`` first: once the app stands down, new work would
        keep it from stopping (and another replica may be about to serve).
        """
        if self.closing:
            work.close()
            raise RuntimeError("the app is standing down; no new background work")
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work %s failed", task.get_name(), exc_info=task.exception())

    async def close(self) -> None:
        """Refuse new work, and wait for what runs."""
        self.closing = True
        await self.wait()

    async def wait(self) -> None:
        """Until nothing runs, including work that running work started."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

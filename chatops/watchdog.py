"""One watchdog for every guarded await, instead of a timer per call.

``arm`` records (deadline, task) in a dict; a single periodic check,
scheduled only while something is armed, cancels the task of any entry that
has overrun and remembers that it did, so the guarded call can tell its own
timeout apart from a cancellation that came from elsewhere.
"""

from __future__ import annotations

import asyncio
import itertools
import time


class Watchdog:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._armed: dict[int, tuple[float, asyncio.Task[object]]] = {}
        self._expired: set[int] = set()
        self._ids = itertools.count()
        self._handle: asyncio.TimerHandle | None = None

    @property
    def resolution(self) -> float:
        return min(max(self.timeout / 4, 0.01), 0.5)

    def arm(self) -> int:
        task = asyncio.current_task()
        token = next(self._ids)
        if task is None:
            return token
        self._armed[token] = (time.monotonic() + self.timeout, task)
        if self._handle is None:
            self._handle = asyncio.get_running_loop().call_later(self.resolution, self._check)
        return token

    def disarm(self, token: int) -> bool:
        """Forget ``token``; True when the watchdog had cancelled it for overrunning."""
        self._armed.pop(token, None)
        if token in self._expired:
            self._expired.discard(token)
            return True
        return False

    def _check(self) -> None:
        self._handle = None
        now = time.monotonic()
        # One cancellation per task, for its innermost overrun call; an outer call
        # stays armed and is cancelled on a later check if it is still running.
        innermost: dict[asyncio.Task[object], int] = {}
        for token, (deadline, task) in self._armed.items():
            if deadline <= now and token > innermost.get(task, -1):
                innermost[task] = token
        for task, token in innermost.items():
            del self._armed[token]
            self._expired.add(token)
            task.cancel()
        if self._armed:
            self._handle = asyncio.get_running_loop().call_later(self.resolution, self._check)

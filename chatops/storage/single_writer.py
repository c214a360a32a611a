"""SQLite serves one chatops process: a second one that would write is refused, clearly.

Two processes on one SQLite file would each fire the same timers and send
the same messages.  The serving process holds an exclusive lock on
``<database>.lock`` (released by the operating system however the process
ends, ``kill -9`` included); another that tries is told why and what to do.
PostgreSQL is the engine for several replicas.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class AlreadyServing(RuntimeError):
    """Another process serves this SQLite database."""


class SingleWriter:
    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise AlreadyServing(
                f"{holder} already serves this SQLite database; SQLite serves one chatops process. "
                "Stop the other one, or run replicas on PostgreSQL (docs/operations.md)."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"chatops pid {os.getpid()}")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

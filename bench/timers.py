"""chatops-timers: 10,000 pending escalation timers; how late does each page reach the transport?

The real escalation path of the on-call plugin runs: 10,000 open pages, each
with an escalation timer (``oncall.escalate``) due at a moment spread
uniformly over one minute.  When a timer fires, the scheduler claims it in a
write, the plugin moves the page to its next step, which posts the page to a
room through the outbox, and the outbox delivers it after the commit to an
in-memory transport that timestamps it.  Lateness = that timestamp minus the
timer's ``due_at``.

Bare baseline, same run: 10,000 asyncio tasks sleeping until the same due
times and timestamping themselves (what the event loop alone costs).

Resume: 2,000 more timers come due while the app is stopped; a fresh app
on the same database starts; ``resume_s`` is the time from the start call
to the first overdue page delivered, ``catch_up_s`` to the last.

Targets: p99 lateness <= 250 ms on SQLite and PostgreSQL; resume <= 2 s.

Run from the repository root:
    .venv/bin/python bench/timers.py [--n 10000] [--spread 60] [--pg-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchkit import MemoryTransport, percentile, scratch_pg_database, start_app
from sqlalchemy import insert

from chatops.app import App
from chatops.storage.db import Tx
from chatops.storage.tables import timers
from chatops_plugins.oncall import paging
from chatops_plugins.oncall.policy import Policy, Step
from chatops_plugins.oncall.tables import pages

ROOM = "mem:ops"
LEAD_S = 15.0  # the first timer is due this long after arming begins (arming takes seconds)
POLICY = Policy(
    "bench", (Step((f"room:{ROOM}",), timedelta(seconds=1)), Step((f"room:{ROOM}",), timedelta(hours=1)))
)


def wall(transport_at: float, anchor: tuple[float, float]) -> float:
    """A perf_counter() reading as a Unix time."""
    perf0, wall0 = anchor
    return wall0 + (transport_at - perf0)


async def arm(app: App, due: list[datetime]) -> dict[int, datetime]:
    """Open pages at step 1 of POLICY, each with its escalation timer due at ``due[i]`` (1,000 per write)."""
    now = app.clock.now()
    found: dict[int, datetime] = {}

    async def write(tx: Tx, chunk: list[datetime]) -> None:
        ids = []
        for _ in chunk:  # one by one: ids in order on every backend
            result = await tx.execute(
                insert(pages).values(
                    target="policy:bench",
                    message="bench",
                    severity=1,
                    policy=POLICY.to_json(),
                    state=paging.OPEN,
                    step=0,
                    cycle=0,
                    created_by="bench",
                    created_at=now,
                )
            )
            ids.append(result.inserted_primary_key[0])
        await tx.execute(
            insert(timers),
            [
                {
                    "key": f"oncall:page:{page_id}",
                    "kind": paging.ESCALATE,
                    "due_at": when,
                    "payload": {"page_id": page_id, "step": 0, "cycle": 0},
                    "state": "pending",
                    "created_at": now,
                }
                for page_id, when in zip(ids, chunk, strict=True)
            ],
        )
        found.update(zip(ids, chunk, strict=True))
        tx.after_commit(app.scheduler._after_change)

    for start in range(0, len(due), 1000):
        chunk = due[start : start + 1000]
        await app.db.write(lambda tx, chunk=chunk: write(tx, chunk))
    return found


def page_of(text: str) -> int:
    return int(text.split()[1].removeprefix("P-"))


async def until(transport: MemoryTransport, count: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while len(transport.replies) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(transport.replies)} of {count} pages delivered")
        await asyncio.sleep(0.05)  # polling the benchmark's own counter, not synchronising the app


async def measure(db_url: str, n: int, spread: float) -> dict[str, Any]:
    overrides: dict[str, Any] = {"database": {"auto_migrate": True}}
    app, transport, _ = await start_app(db_url, overrides=overrides)
    anchor = (time.perf_counter(), time.time())
    base = datetime.now(UTC) + timedelta(seconds=LEAD_S)
    due = sorted(base + timedelta(seconds=random.uniform(0, spread)) for _ in range(n))
    armed = await arm(app, due)
    if datetime.now(UTC) > base:
        raise RuntimeError("arming took longer than LEAD_S: raise it")
    await until(transport, n, spread + LEAD_S + 120)
    # from the first due time to the last page delivered (about n / spread when it keeps up)
    elapsed = wall(transport.replies[-1].at, anchor) - due[0].timestamp()
    late = [
        (wall(reply.at, anchor) - armed[page_of(reply.text)].timestamp()) * 1000
        for reply in transport.replies
    ]
    # resume: timers that come due while nothing runs
    backlog = 2000
    soon = datetime.now(UTC) + timedelta(seconds=20)  # later than arming them takes
    await arm(app, [soon + timedelta(milliseconds=i) for i in range(backlog)])
    await app.stop()
    # the benchmark waits for the backlog to come due while nothing runs
    await asyncio.sleep(max(0.0, (soon + timedelta(seconds=3) - datetime.now(UTC)).total_seconds()))
    restarted = time.perf_counter()
    app, transport, _ = await start_app(db_url, overrides=overrides)
    await until(transport, 1, 30)
    resume = transport.replies[0].at - restarted
    await until(transport, backlog, 120)
    catch_up = transport.replies[-1].at - restarted
    await app.stop()
    return {
        "lateness_p50_ms": round(percentile(late, 0.50), 1),
        "lateness_p99_ms": round(percentile(late, 0.99), 1),
        "lateness_max_ms": round(max(late), 1),
        "fired_per_s": round(n / elapsed, 1),
        "resume_s": round(resume, 3),
        "catch_up_2000_s": round(catch_up, 2),
    }


async def bare(n: int, spread: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    start = loop.time() + LEAD_S
    due = [start + random.uniform(0, spread) for _ in range(n)]
    late: list[float] = []

    async def wait(when: float) -> None:
        await asyncio.sleep(when - loop.time())
        late.append((loop.time() - when) * 1000)

    await asyncio.gather(*(wait(when) for when in due))
    return {
        "bare_lateness_p50_ms": round(percentile(late, 0.50), 1),
        "bare_lateness_p99_ms": round(percentile(late, 0.99), 1),
    }


async def main(n: int, spread: float, pg_url: str | None, only_pg: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {"n": n, "spread_s": spread}
    result |= await bare(n, spread)
    if not only_pg:
        with tempfile.TemporaryDirectory() as tmp:
            sqlite = await measure(f"sqlite:///{Path(tmp) / 'timers.db'}", n, spread)
        result |= {f"sqlite_{k}": v for k, v in sqlite.items()}
    if pg_url:
        async with scratch_pg_database(pg_url) as url:
            pg = await measure(url, n, spread)
        result |= {f"pg_{k}": v for k, v in pg.items()}
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds over which the timers come due")
    parser.add_argument("--pg-url", default=os.environ.get("CHATOPS_BENCH_PG_URL"))
    parser.add_argument("--only-pg", action="store_true", help="skip SQLite")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    figures = asyncio.run(main(args.n, args.spread, args.pg_url, args.only_pg))
    for backend in ("sqlite", "pg"):
        if f"{backend}_lateness_p99_ms" in figures:
            print(
                f"{backend}: lateness p50 {figures[f'{backend}_lateness_p50_ms']} ms, "
                f"p99 {figures[f'{backend}_lateness_p99_ms']} ms; "
                f"{figures[f'{backend}_fired_per_s']} fired/s; "
                f"resume {figures[f'{backend}_resume_s']} s"
            )
    print(f"bare asyncio: lateness p99 {figures['bare_lateness_p99_ms']} ms")
    print("RESULT " + json.dumps(figures))

"""Durable ``!incident note`` commands per second, and proof that an acknowledged note survives kill -9.

During an incident many responders type notes at once; each note must be on
disk before the bot answers "Noted", or a crash could lose what people saw
acknowledged.  Writes are group-committed (``Database.write``), so 50 notes in
flight should cost far fewer than 50 commits.  This measures notes/s with 50
responders in flight and one at a time, on SQLite (WAL, default synchronous)
and on PostgreSQL when ``--pg-url`` or ``CHATOPS_BENCH_PG_URL`` is given (a
fresh ``chatops_bench_<random>`` database is created there and dropped after),
with one replica and with two (one serving, one standing by, then a failover).

A note counts only once its reply reached the transport (the reply is sent
after the commit).  Each note is sent in its own thread, so its reply, which
comes back in that thread, identifies the note.  At the end the number of
``note_added`` rows must equal the number acknowledged.

``--kill-test`` runs a child process that sends notes 50 in flight and prints
each acknowledged note as it is acknowledged; the parent SIGKILLs it after
``--kill-after`` acknowledgements and checks every acknowledged note is in the
SQLite database.

``--replaying`` makes the transport one that replays after a takeover, as
Matrix does, so that on PostgreSQL each command is first claimed by its event
id (``chatops.claims``): the price of that claim.

Run from the repository root:
    .venv/bin/python bench/notes.py [--n 5000] [--serial-n 1000] [--pg-url postgresql://...] [--replaying]
    .venv/bin/python bench/notes.py --kill-test [--kill-after 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from benchkit import MemoryTransport, Reply, percentile, scratch_pg_database, start_app
from sqlalchemy import select

import chatops
from chatops.app import App
from chatops.storage.tables import events

USER = "you"
LOBBY = "lobby"
TITLE = "bench"
ACK_TEXT = "Noted on INC-1."
WARMUP = 100


@dataclass
class Tally:
    """Acknowledged notes and their latencies (ms) in one mode; errors are wrong or missing replies."""

    acked: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


async def declare_incident(transport: MemoryTransport) -> str:
    """Declare the incident as a responder would; return its room's name from the bot's answer."""
    await transport.deliver(USER, LOBBY, f"!incident declare {TITLE} --sev 2")
    for reply in transport.replies:
        for line in reply.text.splitlines():
            if line.startswith("Room: inc-"):
                return line.removeprefix("Room: ")
    raise RuntimeError(f"no incident room in the answer: {[r.text for r in transport.replies]}")


async def send_notes(
    transport: MemoryTransport,
    room: str,
    label: str,
    numbers: Iterable[int],
    inflight: int,
    on_ack: Callable[[str], None] | None = None,
) -> tuple[Tally, float]:
    """Send one note per number, ``inflight`` at a time; return the tally and the elapsed seconds.

    ``inflight`` responders each send their next note as soon as the previous
    one is answered, sharing one iterator so each number is sent once.
    """
    tally = Tally()
    answers: dict[str, Reply] = {}
    transport.on_reply = lambda reply: answers.__setitem__(reply.thread_id or "", reply)
    pending = iter(numbers)

    async def responder() -> None:
        for k in pending:
            text = f"{label}-{k}"
            began = time.perf_counter()
            await transport.deliver(USER, room, f"!incident note {text}", thread_id=text)
            reply = answers.pop(text, None)
            if reply is None or reply.text != ACK_TEXT:
                tally.errors += 1
                continue
            tally.acked.append(text)
            tally.latencies.append((reply.at - began) * 1e3)
            if on_ack is not None:
                on_ack(text)

    began = time.perf_counter()
    await asyncio.gather(*(responder() for _ in range(inflight)))
    elapsed = time.perf_counter() - began
    transport.on_reply = None
    transport.replies.clear()
    return tally, elapsed


async def stored_notes(app: App) -> list[str]:
    """The text of every ``note_added`` event in the database."""
    async with app.db.read() as conn:
        rows = await conn.execute(select(events.c.data).where(events.c.kind == "note_added"))
        return [data["text"] for (data,) in rows]


async def measure(db_url: str, backend: str, n: int, serial_n: int, inflight: int) -> dict[str, object]:
    """Both modes on one backend; keys are suffixed with the backend name."""
    overrides = {"database": {"auto_migrate": True}} if backend == "pg" else {}
    app, transport, _ = await start_app(db_url, overrides=overrides)
    print(f"[{backend}] {app.db.engine.url.render_as_string(hide_password=True)}")
    try:
        room = await declare_incident(transport)
        transport.replies.clear()
        warm, _ = await send_notes(transport, room, "warmup", range(WARMUP), inflight)
        commits = app.db.commits
        burst, burst_s = await send_notes(transport, room, "inflight", range(n), inflight)
        burst_commits = app.db.commits - commits
        serial, serial_s = await send_notes(transport, room, "serial", range(serial_n), 1)
        stored = await stored_notes(app)
    finally:
        await app.stop()

    acked = warm.acked + burst.acked + serial.acked
    missing = len(set(acked) - set(stored))
    errors = warm.errors + burst.errors + serial.errors
    burst_rate, serial_rate = len(burst.acked) / burst_s, len(serial.acked) / serial_s
    burst_p99, serial_p99 = percentile(burst.latencies, 0.99), percentile(serial.latencies, 0.99)
    per_commit = len(burst.acked) / max(burst_commits, 1)
    print(
        f"[{backend}] {inflight} in flight: {burst_rate:,.1f} notes/s ({per_commit:.1f} per commit), "
        f"p50 {percentile(burst.latencies, 0.5):.2f} ms, p99 {burst_p99:.2f} ms"
    )
    print(
        f"[{backend}] serial: {serial_rate:,.1f} notes/s, "
        f"p50 {percentile(serial.latencies, 0.5):.2f} ms, p99 {serial_p99:.2f} ms"
    )
    print(
        f"[{backend}] acknowledged {len(acked)}, note rows {len(stored)}, missing {missing}, errors {errors}"
    )
    result: dict[str, object] = {
        f"notes_per_s_{inflight}_inflight_{backend}": round(burst_rate, 1),
        f"p99_ms_{inflight}_inflight_{backend}": round(burst_p99, 3),
        f"notes_per_s_serial_{backend}": round(serial_rate, 1),
        f"p99_ms_serial_{backend}": round(serial_p99, 3),
        f"notes_per_commit_{inflight}_inflight_{backend}": round(per_commit, 1),
        f"acked_{backend}": len(acked),
        f"rows_{backend}": len(stored),
        f"rows_match_{backend}": len(stored) == len(acked) and missing == 0,
        f"errors_{backend}": errors,
    }
    return result


async def measure_two_replicas(db_url: str, n: int, serial_n: int, inflight: int) -> dict[str, object]:
    """Two replicas on one PostgreSQL: notes through the serving one while the other stands by,
    then the serving one stops (as on SIGTERM) and notes go on through the other once it serves.

    Both replicas run in this process, each with its own pools and lease
    connection: a standby does no work but ask for the lease each second, so a
    second process would change nothing measured here.
    """
    overrides = {"database": {"auto_migrate": True}}
    first, to_first, _ = await start_app(db_url, overrides=overrides, lease=True)
    second, to_second, _ = await start_app(db_url, overrides=overrides, lease=True)
    assert first.serving and not second.serving, "the second replica should stand by"
    try:
        room = await declare_incident(to_first)
        to_first.replies.clear()
        warm, _ = await send_notes(to_first, room, "warmup", range(WARMUP), inflight)
        burst, burst_s = await send_notes(to_first, room, "inflight", range(n), inflight)
        serial, serial_s = await send_notes(to_first, room, "serial", range(serial_n), 1)
        stopped = time.perf_counter()
        await first.stop()
        await second.serving_started.wait()
        failover_s = time.perf_counter() - stopped
        after, after_s = await send_notes(to_second, room, "after", range(n), inflight)
        stored = await stored_notes(second)
    finally:
        await first.stop()
        await second.stop()

    acked = warm.acked + burst.acked + serial.acked + after.acked
    missing = len(set(acked) - set(stored))
    errors = warm.errors + burst.errors + serial.errors + after.errors
    rates = {
        "burst": len(burst.acked) / burst_s,
        "serial": len(serial.acked) / serial_s,
        "after": len(after.acked) / after_s,
    }
    p99 = {
        "burst": percentile(burst.latencies, 0.99),
        "serial": percentile(serial.latencies, 0.99),
        "after": percentile(after.latencies, 0.99),
    }
    print(
        f"[pg, 2 replicas] {inflight} in flight: {rates['burst']:,.1f} notes/s, p99 {p99['burst']:.2f} ms; "
        f"serial: {rates['serial']:,.1f} notes/s, p99 {p99['serial']:.2f} ms"
    )
    print(
        f"[pg, 2 replicas] the serving one stopped: the other served after {failover_s * 1e3:,.0f} ms, "
        f"then {rates['after']:,.1f} notes/s, p99 {p99['after']:.2f} ms"
    )
    print(
        f"[pg, 2 replicas] acknowledged {len(acked)}, note rows {len(stored)}, "
        f"missing {missing}, errors {errors}"
    )
    return {
        f"notes_per_s_{inflight}_inflight_pg_2_replicas": round(rates["burst"], 1),
        f"p99_ms_{inflight}_inflight_pg_2_replicas": round(p99["burst"], 3),
        "notes_per_s_serial_pg_2_replicas": round(rates["serial"], 1),
        "p99_ms_serial_pg_2_replicas": round(p99["serial"], 3),
        "failover_ms_pg_2_replicas": round(failover_s * 1e3, 1),
        f"notes_per_s_{inflight}_inflight_after_failover_pg_2_replicas": round(rates["after"], 1),
        f"p99_ms_{inflight}_inflight_after_failover_pg_2_replicas": round(p99["after"], 3),
        "acked_pg_2_replicas": len(acked),
        "rows_match_pg_2_replicas": len(stored) == len(acked) and missing == 0,
        "errors_pg_2_replicas": errors,
    }


async def throughput(n: int, serial_n: int, inflight: int, pg_url: str | None) -> dict[str, object]:
    result: dict[str, object] = {
        "system": "chatops",
        "version": chatops.__version__,
        "n": n,
        "serial_n": serial_n,
        "commands_claimed_on_pg": MemoryTransport.replays_after_takeover,
    }
    with tempfile.TemporaryDirectory(prefix="chatops-notes-") as tmp:
        result |= await measure(f"sqlite:///{Path(tmp) / 'chatops.db'}", "sqlite", n, serial_n, inflight)
    if pg_url:
        async with scratch_pg_database(pg_url) as url:
            result |= await measure(url, "pg", n, serial_n, inflight)
        async with scratch_pg_database(pg_url) as url:
            result |= await measure_two_replicas(url, n, serial_n, inflight)
    return result


async def child(db_path: str, inflight: int, limit: int) -> None:
    """Kill-test child: send notes until killed, printing ``ACK <text>`` once each is answered."""
    _, transport, _ = await start_app(f"sqlite:///{db_path}")
    room = await declare_incident(transport)

    def announce(text: str) -> None:
        print(f"ACK {text}", flush=True)

    await send_notes(transport, room, "kill", range(limit), inflight, on_ack=announce)


def kill_test(kill_after: int, inflight: int) -> dict[str, object]:
    """SIGKILL a child mid-stream; every note it acknowledged must be in the database."""
    with tempfile.TemporaryDirectory(prefix="chatops-kill-") as tmp:
        db_path = Path(tmp) / "chatops.db"
        command = [
            sys.executable,
            __file__,
            "--child-db",
            str(db_path),
            "--inflight",
            str(inflight),
            "--n",
            str(kill_after * 20),
        ]
        acked: list[str] = []
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:  # keeps reading after the kill: lines already printed were acked
                if line.startswith("ACK "):
                    acked.append(line[4:].rstrip("\n"))
                    if len(acked) == kill_after:
                        os.kill(proc.pid, signal.SIGKILL)
            returncode = proc.wait()
        if returncode != -signal.SIGKILL:
            raise RuntimeError(f"the child exited with {returncode} before the kill (its stderr is above)")
        with sqlite3.connect(db_path) as conn:
            rows = conn.execute("SELECT data FROM chatops_events WHERE kind = 'note_added'").fetchall()
        stored = {json.loads(data)["text"] for (data,) in rows}
    found = sum(1 for text in acked if text in stored)
    print(f"child killed with SIGKILL; acknowledged {len(acked)}, found {found}, rows in db {len(stored)}")
    return {
        "system": "chatops",
        "version": chatops.__version__,
        "mode": "kill-test",
        "acked": len(acked),
        "found": found,
        "lost": len(acked) - found,
        "rows_in_db": len(stored),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="notes sent in flight (default 5000)")
    parser.add_argument("--serial-n", type=int, default=1000, help="notes sent one at a time (default 1000)")
    parser.add_argument("--inflight", type=int, default=50, help="concurrent responders (default 50)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("CHATOPS_BENCH_PG_URL"),
        help="PostgreSQL server, e.g. postgresql://postgres@127.0.0.1:5432/ (or CHATOPS_BENCH_PG_URL)",
    )
    parser.add_argument(
        "--replaying",
        action="store_true",
        help="the transport replays after a takeover, as Matrix does: on PostgreSQL each command is claimed",
    )
    parser.add_argument("--kill-test", action="store_true", help="prove kill -9 loses no acknowledged note")
    parser.add_argument("--kill-after", type=int, default=1000, help="acknowledgements before the kill")
    parser.add_argument("--child-db", help=argparse.SUPPRESS)  # the kill test's child process
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    MemoryTransport.replays_after_takeover = args.replaying
    if args.child_db:
        asyncio.run(child(args.child_db, args.inflight, args.n))
        return
    if args.kill_test:
        result = kill_test(args.kill_after, args.inflight)
    else:
        result = asyncio.run(throughput(args.n, args.serial_n, args.inflight, args.pg_url))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()

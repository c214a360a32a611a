"""chatops-echo: what the full command pipeline costs per command, compared with a bare dispatch.

A plugin answers ``!bench hello <i>`` with ``hello <i>``.  Every command goes
through what a real chat message goes through: the adapter builds the
validated ``Message``, the dispatcher de-duplicates, tokenizes, looks up,
parses, checks the permission and runs the handler isolated under the
watchdog, the reply is rendered with ``render_text`` and handed to the
adapter.  All defaults are on (SQLite storage, every built-in plugin, the
scheduler), logging at WARNING.

Absolute numbers depend on the machine, so each measured repetition is
bracketed by a bare calibration loop (split the text, look the handler up in
a dict, await it) run in the same process and event loop; ``slowdown_vs_bare``
is the framework's overhead factor and is comparable across machines.

Run from the repository root:  .venv/bin/python bench/echo.py [--n 2000] [--reps 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from benchkit import MemoryTransport, percentile, start_app

import chatops
from chatops import Arg, CommandContext, CommandGroup, Permission, hookimpl

WARMUP = 100
ROOM = "lobby"
USER = "you"

bench = CommandGroup("bench", help="benchmark commands")
# A permission every user holds by default, so the dispatcher's permission step runs too.
HELLO = Permission("bench.hello", ("anyone",), "say hello")


@bench.command("hello", Arg("i"), help="answer hello <i>", permission=HELLO)
async def hello(ctx: CommandContext, i: str) -> None:
    await ctx.reply(f"hello {i}")


class BenchPlugin:
    """Registers the ``!bench`` group, the way any programmatic plugin does."""

    @hookimpl
    def chatops_commands(self) -> list[CommandGroup]:
        return [bench]


def count_errors(transport: MemoryTransport, numbers: range) -> int:
    """Wrong, missing or duplicated replies: each ``hello i`` must arrive exactly once, in the room."""
    wanted = {f"hello {i}" for i in numbers}
    room_id = transport.room(ROOM).id
    seen = Counter(r.text for r in transport.replies if r.room_id == room_id)
    missing = sum(1 for text in wanted if seen[text] == 0)
    duplicated = sum(count - 1 for text, count in seen.items() if text in wanted and count > 1)
    wrong = sum(count for text, count in seen.items() if text not in wanted)
    wrong += sum(1 for r in transport.replies if r.room_id != room_id)
    return missing + duplicated + wrong


async def bare_cps(n: int) -> float:
    """Commands/s of the bare calibration: the least a chat command dispatch can cost in Python."""
    out: list[str] = []

    async def bench_handler(args: list[str]) -> str:
        return f"hello {args[1]}"

    handlers: dict[str, Callable[[list[str]], Awaitable[str]]] = {"bench": bench_handler}

    async def bare(text: str) -> None:
        cmd, *args = text[1:].split()
        out.append(await handlers[cmd](args))

    start = time.perf_counter()
    for i in range(n):
        await bare(f"!bench hello {i}")
    return n / (time.perf_counter() - start)


async def serial(transport: MemoryTransport, numbers: range) -> tuple[float, list[float], int]:
    """Send commands one at a time, awaiting each; return (cmds/s, latencies in ms, errors)."""
    transport.replies.clear()
    sent_at: dict[str, float] = {}
    start = time.perf_counter()
    for i in numbers:
        sent_at[f"hello {i}"] = time.perf_counter()
        await transport.deliver(USER, ROOM, f"!bench hello {i}")
    elapsed = time.perf_counter() - start
    latencies = [(r.at - sent_at[r.text]) * 1e3 for r in transport.replies if r.text in sent_at]
    return len(numbers) / elapsed, latencies, count_errors(transport, numbers)


async def burst(transport: MemoryTransport, numbers: range) -> tuple[float, int]:
    """Send every command at once (as a busy channel would); return (cmds/s, errors)."""
    transport.replies.clear()
    start = time.perf_counter()
    await asyncio.gather(*(transport.deliver(USER, ROOM, f"!bench hello {i}") for i in numbers))
    elapsed = time.perf_counter() - start
    return len(numbers) / elapsed, count_errors(transport, numbers)


async def run(n: int, reps: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="chatops-echo-") as tmp:
        app, transport, startup_s = await start_app(
            f"sqlite:///{Path(tmp) / 'chatops.db'}", plugins=[("bench", BenchPlugin())]
        )
        print(f"startup (App() + start): {startup_s:.3f} s")
        try:
            first = 0
            _, _, errors = await serial(transport, range(first, first + WARMUP))
            first += WARMUP
            rates: list[float] = []
            latencies: list[float] = []
            bare_rates = [await bare_cps(n)]
            for rep in range(reps):
                rate, lat, errs = await serial(transport, range(first, first + n))
                first += n
                bare_rates.append(await bare_cps(n))
                rates.append(rate)
                latencies += lat
                errors += errs
                print(
                    f"rep {rep + 1}/{reps}: {rate:,.0f} cmds/s, p50 {statistics.median(lat):.3f} ms, "
                    f"bare {bare_rates[-1]:,.0f} cmds/s, errors {errs}"
                )
            burst_rate, errs = await burst(transport, range(first, first + n))
            errors += errs
            print(f"burst of {n}: {burst_rate:,.0f} cmds/s, errors {errs}")
        finally:
            await app.stop()

    cmds_per_s = statistics.median(rates)
    bare = statistics.median(bare_rates)
    return {
        "system": "chatops",
        "version": chatops.__version__,
        "n": n,
        "cmds_per_s": round(cmds_per_s, 1),
        "p50_ms": round(percentile(latencies, 0.50), 4),
        "p99_ms": round(percentile(latencies, 0.99), 4),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "startup_s": round(startup_s, 3),
        "burst_cmds_per_s": round(burst_rate, 1),
        "bare_cps_same_process": round(bare, 1),
        "slowdown_vs_bare": round(bare / cmds_per_s, 2),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="commands per repetition (default 2000)")
    parser.add_argument("--reps", type=int, default=5, help="measured repetitions (default 5)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(args.n, args.reps))
    print(
        f"chatops {result['version']}: {result['cmds_per_s']:,} cmds/s (median of {args.reps}), "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
        f"{result['slowdown_vs_bare']}x the bare loop, errors {result['errors']}"
    )
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()

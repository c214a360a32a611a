"""chatops-alert-storm: 10,000 Alertmanager notifications from 50 concurrent clients; stored, counted, exact.

The app runs its real web server on loopback with one Alertmanager source
(bearer token) and SQLite (or PostgreSQL with --pg-url); the load comes from
a separate process (this file with --client) so client and server each have
a core, as they would on two machines.  Each of 50 clients owns two of the
100 alert fingerprints and posts its notifications one after another, so
every alert's own order is kept while the clients race; 10 alertnames make
10 groups of 10 alerts.  One notification in eight resolves its alert and
the next fires it again (a flap, held, not re-paged).

Measured per phase: accepted notifications per second (first request sent
to last answer received) and latency percentiles (send to 200, which the
receiver gives only after the batch committed).  Then checked: every
notification stored, and every group's counts equal what the plan implies.
Phase two sends 2,000 notifications of 5 alerts each and reports alerts
per second.  Bare baseline, same run: the same requests answered 200 by a
handler that only reads the body (what aiohttp and loopback cost).

Targets (SQLite, this 2-core machine): >= 1,500 notifications/s, p99 <= 100 ms, 0 lost.

Run from the repository root:
    .venv/bin/python bench/alert_storm.py [--n 10000] [--clients 50] [--pg-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from benchkit import percentile, scratch_pg_database, start_app
from sqlalchemy import func, select

from chatops.web import build_web_app
from chatops_plugins.alerts import actions
from chatops_plugins.alerts.tables import groups, notifications

TOKEN = "storm-token"
FINGERPRINTS, NAMES = 100, 10
T0 = datetime(2026, 1, 1, tzinfo=UTC)  # when the storm's first alerts began (only order matters)
ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's "not ended"


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def plan(n: int, clients: int, per_notification: int) -> list[list[bytes]]:
    """Each client's notifications, in order.  Client c owns fingerprints c, c+clients, …

    (With several alerts per notification there are enough fingerprints for
    each client's notification to carry distinct alerts.)
    """
    count = max(FINGERPRINTS, clients * per_notification)
    owned = {c: [f for f in range(count) if f % clients == c] for c in range(clients)}
    sent: dict[int, int] = defaultdict(int)
    bodies: list[list[bytes]] = [[] for _ in range(clients)]
    for i in range(n):
        client = i % clients
        alerts = []
        for j in range(per_notification):
            f = owned[client][(i // clients + j) % len(owned[client])]
            sent[f] += 1
            status = "resolved" if sent[f] % 8 == 0 else "firing"
            episode = (sent[f] - 1) // 8  # each resolve ends an episode; the next firing begins anew
            begins = T0 + timedelta(minutes=10 * episode)
            alerts.append(
                {
                    "status": status,
                    "labels": {"alertname": f"Storm{f % NAMES}", "instance": f"host{f}:9100"},
                    "annotations": {"summary": f"storm alert {f}"},
                    "startsAt": _iso(begins),
                    "endsAt": _iso(begins + timedelta(minutes=5)) if status == "resolved" else ZERO_TIME,
                    "fingerprint": f"fp{f:04d}",
                }
            )
        name = alerts[0]["labels"]["alertname"]
        body = {
            "version": "4",
            "groupKey": f'{{}}:{{alertname="{name}"}}' if per_notification == 1 else "{}:{storm}",
            "status": "firing",
            "receiver": "chatops",
            "alerts": alerts,
        }
        bodies[client].append(json.dumps(body).encode())
    return bodies


def expected(bodies: list[list[bytes]]) -> dict[str, dict[str, int]]:
    """What each group's counts must be once every notification is in (order within an alert kept)."""
    state: dict[str, str] = {}
    flaps: dict[str, int] = defaultdict(int)
    key_of: dict[str, str] = {}
    touched: dict[str, int] = defaultdict(int)
    for client in bodies:
        for raw in client:
            body = json.loads(raw)
            keys = set()
            for alert in body["alerts"]:
                fp = alert["fingerprint"]
                key = f"bench:{body['groupKey']}"
                key_of[fp] = key
                keys.add(key)
                if alert["status"] == "firing" and state.get(fp) == "resolved":
                    flaps[fp] += 1
                if alert["status"] == "firing" or fp in state:
                    state[fp] = alert["status"]
            for key in keys:
                touched[key] += 1
    found: dict[str, dict[str, int]] = {}
    for fp, key in key_of.items():
        counts = found.setdefault(key, {"alerts": 0, "firing": 0, "flaps": 0, "notifications": touched[key]})
        counts["alerts"] += 1
        counts["firing"] += state[fp] == "firing"
        counts["flaps"] += flaps[fp]
    return found


async def client_main(url: str, n: int, clients: int, per_notification: int) -> None:
    """The load: each client posts its notifications in order; print the latencies as JSON."""
    bodies = plan(n, clients, per_notification)
    latencies: list[float] = []
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def run(mine: list[bytes]) -> None:
            for body in mine:
                began = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        failures.append(f"{response.status}")
                latencies.append((time.perf_counter() - began) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(run(mine) for mine in bodies))
        elapsed = time.perf_counter() - began
    print(json.dumps({"elapsed_s": elapsed, "latencies_ms": latencies, "failures": failures}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(web_app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def load(url: str, n: int, clients: int, per_notification: int) -> dict[str, Any]:
    """Run the client process against ``url``; its figures."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--client",
        url,
        "--n",
        str(n),
        "--clients",
        str(clients),
        "--per",
        str(per_notification),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the load client failed ({process.returncode})")
    figures: dict[str, Any] = json.loads(out)
    late = figures["latencies_ms"]
    return {
        "per_s": round(n / figures["elapsed_s"], 1),
        "p50_ms": round(percentile(late, 0.50), 1),
        "p99_ms": round(percentile(late, 0.99), 1),
        "failed": len(figures["failures"]),
    }


async def bare(n: int, clients: int) -> dict[str, Any]:
    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"stored": True})

    app = web.Application()
    app.router.add_post("/alerts/bench", accept)
    async with serving(app) as base:
        figures = await load(f"{base}/alerts/bench", n, clients, 1)
    return {f"bare_{k}": v for k, v in figures.items() if k != "failed"}


async def measure(db_url: str, n: int, clients: int, per_notification: int) -> dict[str, Any]:
    overrides = {
        "database": {"auto_migrate": True},
        "alerts": {
            "sources": {"bench": {"format": "alertmanager", "token": TOKEN}},
            "default_room": "mem:alerts",
            "flap_window": "1000d",  # every resolve-then-fire in the run counts as a flap
        },
    }
    app, transport, _ = await start_app(db_url, overrides=overrides)
    try:
        async with serving(build_web_app(app)) as base:
            figures = await load(f"{base}/alerts/bench", n, clients, per_notification)
        await app.db.settled()
        await actions.refresher_of(app).idle()
        want = expected(plan(n, clients, per_notification))
        async with app.db.read() as conn:
            stored = await conn.scalar(select(func.count()).select_from(notifications))
            rows = (await conn.execute(select(groups))).all()
        got = {
            row.group_key: {
                "alerts": row.alerts,
                "firing": row.firing,
                "flaps": row.flaps,
                "notifications": row.notifications,
            }
            for row in rows
        }
        figures["lost"] = n - int(stored or 0)
        figures["groups_exact"] = got == want
        if got != want:
            wrong = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))[:3]
            print("group counts differ:", {k: (got.get(k), want.get(k)) for k in wrong}, file=sys.stderr)
        figures["messages"], figures["edits"] = len(transport.replies), transport.edits
    finally:
        await app.stop()
    return figures


async def main(n: int, clients: int, pg_url: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {"n": n, "clients": clients}
    result |= await bare(n, clients)
    backends: list[tuple[str, Any]] = [("sqlite", None)]
    if pg_url:
        backends.append(("pg", pg_url))
    for name, server in backends:
        for per in (1, 5):
            count = n if per == 1 else n // 5
            with tempfile.TemporaryDirectory() as tmp:
                context = (
                    scratch_pg_database(server) if server else nullcontext(f"sqlite:///{Path(tmp) / 's.db'}")
                )
                async with _async(context) as url:
                    figures = await measure(url, count, clients, per)
            prefix = f"{name}_" if per == 1 else f"{name}_x5_"
            if per == 5:
                figures["alerts_per_s"] = round(figures["per_s"] * 5, 1)
            result |= {f"{prefix}{k}": v for k, v in figures.items()}
    return result


@asynccontextmanager
async def _async(context: Any) -> AsyncIterator[str]:
    if hasattr(context, "__aenter__"):
        async with context as value:
            yield value
    else:
        with context as value:
            yield value


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pg-url", default=os.environ.get("CHATOPS_BENCH_PG_URL"))
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--per", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        asyncio.run(client_main(args.client, args.n, args.clients, args.per))
        sys.exit(0)
    logging.basicConfig(level=logging.WARNING)
    figures = asyncio.run(main(args.n, args.clients, args.pg_url))
    for backend in ("sqlite", "pg"):
        if f"{backend}_per_s" in figures:
            f = {k.removeprefix(f"{backend}_"): v for k, v in figures.items() if k.startswith(backend)}
            print(
                f"{backend}: {f['per_s']} notifications/s, p99 {f['p99_ms']} ms, lost {f['lost']}, "
                f"groups exact {f['groups_exact']}; 5 alerts each: {f['x5_alerts_per_s']} alerts/s, "
                f"p99 {f['x5_p99_ms']} ms"
            )
    print(f"bare aiohttp: {figures['bare_per_s']} requests/s, p99 {figures['bare_p99_ms']} ms")
    print("RESULT " + json.dumps(figures))

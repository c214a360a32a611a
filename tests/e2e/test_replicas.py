"""Two replicas on one PostgreSQL, 200 escalations under way, kill -9 the serving one.

Replica A starts first and serves (it holds the lease: Slack, timers, the
outbox); B stands by.  200 pages escalate through a policy of two
four-second steps, twice.  While they are under way A is killed with
SIGKILL: PostgreSQL releases its lease when its connection drops, B takes
over, delivers what A left queued and fires the rest.

Every step must fire exactly once (the timeline), every direct message
must arrive, and at most one may arrive twice: the window of a platform
without idempotency keys, a message Slack accepted just before the kill and
that was not yet marked sent.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg
import yaml
from sqlalchemy.engine import make_url

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS / "slack")]

from fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack  # noqa: E402

PEOPLE = {"alice": "UALICE001", "bob": "UBOB00001"}
PAGES = int(os.environ.get("CHATOPS_TEST_REPLICA_PAGES", "200"))
ROUNDS = 2
STEP = "4s"  # long enough that every escalation is still under way when all have started


def config(tmp: Path, name: str, slack: FakeSlack, db_url: str, web_port: int | None = None) -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": {"url": db_url, "auto_migrate": True},
                "web": {"host": "127.0.0.1", "port": web_port} if web_port else {"enabled": False},
                "transports": {
                    "slack": {"bot_token": BOT_TOKEN, "app_token": APP_TOKEN, "api_url": slack.api_url}
                },
                "oncall": {
                    "people": {person: {"accounts": [f"slack:{uid}"]} for person, uid in PEOPLE.items()},
                    "policies": {
                        "drill": {
                            "steps": [
                                {"targets": ["user:alice"], "after": STEP},
                                {"targets": ["user:bob"], "after": STEP},
                            ],
                            "repeat": ROUNDS - 1,
                        }
                    },
                },
            }
        )
    )
    return path


class Replica:
    """A ``chatops run`` process whose log lines the test can wait for."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._logged = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, config_path: Path) -> Replica:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "chatops.cli",
            "run",
            "--config",
            str(config_path),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            async with self._logged:
                self.lines.append(line.decode(errors="replace"))
                self._logged.notify_all()

    async def logged(self, text: str, seconds: float) -> None:
        async with asyncio.timeout(seconds), self._logged:
            await self._logged.wait_for(lambda: any(text in line for line in self.lines))

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await self.process.wait()
        await self._reader


async def admin(pg_url: str) -> asyncpg.Connection:
    parsed = make_url(pg_url)
    return await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )


async def paged_steps(pg_url: str) -> dict[str, int]:
    """Escalation steps fired per page, from the timeline (each ``paged`` event is one step)."""
    conn = await admin(pg_url)
    try:
        rows = await conn.fetch(
            "SELECT stream, count(*) AS n FROM chatops_events WHERE kind = 'paged' GROUP BY stream"
        )
    finally:
        await conn.close()
    return {r["stream"]: r["n"] for r in rows}


def paged(slack: FakeSlack) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for person, uid in PEOPLE.items():
        dm = slack.dm_with(uid)
        for message in dm.messages.values() if dm else []:
            if message.text.startswith("📟 You are paged: "):
                found[(message.text.split()[4].rstrip(":"), person)] += 1
    return found


async def test_kill_9_of_the_leading_replica_loses_no_step_and_repeats_none(
    tmp_path: Path, pg_url: str
) -> None:
    slack = await FakeSlack().start()
    for uid in PEOPLE.values():
        slack.add_user(uid, "x")
    slack.channels["C0GENERAL"].members += list(PEOPLE.values())
    first = await Replica.start(config(tmp_path, "a", slack, pg_url))
    second: Replica | None = None
    try:
        await first.logged("this replica now serves", 30)
        await slack.connected()
        second = await Replica.start(config(tmp_path, "b", slack, pg_url))
        await second.logged("this one stands by", 30)  # B cannot take the lease while A holds it
        for n in range(PAGES):
            await slack.push("events_api", slack.message_event(f'!page drill "drill {n}"', PEOPLE["bob"]))
        # Every escalation under way (its first step reached alice), most of them not finished.
        await slack.wait_for(lambda: sum(1 for (_, p) in paged(slack) if p == "alice") == PAGES, 60)
        first.process.send_signal(signal.SIGKILL)
        before_kill = sum(paged(slack).values())
        await first.process.wait()
        await second.logged("this replica now serves", 10)  # failover within 10 s
        finished = [f"⚠️ Nobody acknowledged P-{n + 1} " for n in range(PAGES)]
        general = slack.channels["C0GENERAL"]
        await slack.wait_for(
            lambda: all(any(t.startswith(f) for t in general.texts()) for f in finished), 120
        )  # B took over: everything A left, and the rest
    finally:
        for replica in (first, second):
            if replica is not None:
                await replica.stop()
        await slack.stop()

    counts = paged(slack)
    assert set(counts) == {(f"P-{n + 1}", person) for n in range(PAGES) for person in PEOPLE}, "".join(
        first.lines[-20:] + (second.lines[-20:] if second else [])
    )
    lost = sum(max(0, ROUNDS - c) for c in counts.values())
    repeated = sum(max(0, c - ROUNDS) for c in counts.values())
    print(
        f"two replicas, {PAGES} pages, kill -9 of the leader: {before_kill} of {sum(counts.values())} steps before it, lost {lost}, sent twice {repeated}"
    )
    assert lost == 0 and repeated <= 1
    assert sum(counts.values()) - before_kill > PAGES  # the kill cut through the escalations

    assert await paged_steps(pg_url) == {f"page:{n + 1}": 2 * ROUNDS for n in range(PAGES)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_standby_refuses_webhooks_and_takes_over_when_the_serving_replica_is_stopped(
    tmp_path: Path, pg_url: str
) -> None:
    slack = await FakeSlack().start()
    ports = {"a": free_port(), "b": free_port()}
    first = await Replica.start(config(tmp_path, "a", slack, pg_url, ports["a"]))
    second: Replica | None = None
    try:
        await first.logged("this replica now serves", 30)
        second = await Replica.start(config(tmp_path, "b", slack, pg_url, ports["b"]))
        await second.logged("this one stands by", 30)
        async with aiohttp.ClientSession() as http:

            async def ready(name: str) -> tuple[int, str]:
                async with http.get(f"http://127.0.0.1:{ports[name]}/readyz") as response:
                    return response.status, (await response.json())["status"]

            await first.logged("web server on", 30)
            await second.logged("web server on", 30)
            assert await ready("a") == (200, "ready")
            assert await ready("b") == (503, "standby")  # a load balancer sends traffic to A
            async with http.post(f"http://127.0.0.1:{ports['b']}/alerts/anything", data=b"{}") as refused:
                assert refused.status == 503 and refused.headers["Retry-After"] == "1"

            await first.stop()  # SIGTERM: A finishes what it has in hand and releases the lease
            assert first.process.returncode == 0
            await second.logged("this replica now serves", 10)
            assert await ready("b") == (200, "ready")
            await slack.wait_for(lambda: len(slack._sockets) == 1)  # B's Slack connection, only
    finally:
        for replica in (first, second):
            if replica is not None:
                await replica.stop()
        await slack.stop()


async def test_database_connections_cut_twice_under_two_replicas_lose_and_repeat_no_step(
    tmp_path: Path, pg_url: str
) -> None:
    """Every connection of both replicas, the serving lease's included, is terminated twice while
    escalations run: the serving replica reconnects and takes its lease again (or the standby takes
    over), and every step still fires exactly once."""
    pages = 40
    slack = await FakeSlack().start()
    for uid in PEOPLE.values():
        slack.add_user(uid, "x")
    slack.channels["C0GENERAL"].members += list(PEOPLE.values())
    first = await Replica.start(config(tmp_path, "a", slack, pg_url))
    second: Replica | None = None
    try:
        await first.logged("this replica now serves", 30)
        await slack.connected()
        second = await Replica.start(config(tmp_path, "b", slack, pg_url))
        await second.logged("this one stands by", 30)
        for n in range(pages):
            await slack.push("events_api", slack.message_event(f'!page drill "drill {n}"', PEOPLE["bob"]))
        await slack.wait_for(lambda: sum(1 for (_, p) in paged(slack) if p == "alice") == pages, 60)
        for _ in range(2):
            before = sum(paged(slack).values())
            conn = await admin(pg_url)
            try:
                cut = await conn.fetch(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            finally:
                await conn.close()
            assert len(cut) >= 1  # the lease connection at least (pooled ones too, when open)
            await slack.wait_for(lambda b=before: sum(paged(slack).values()) > b, 30)  # steps go on
        finished = [f"⚠️ Nobody acknowledged P-{n + 1} " for n in range(pages)]
        general = slack.channels["C0GENERAL"]
        await slack.wait_for(
            lambda: all(any(t.startswith(f) for t in general.texts()) for f in finished), 120
        )
    finally:
        for replica in (first, second):
            if replica is not None:
                await replica.stop()
        await slack.stop()

    logs = "".join(first.lines + (second.lines if second else []))
    assert "took the lease again" in logs or logs.count("this replica now serves") >= 2, logs[-3000:]
    assert await paged_steps(pg_url) == {f"page:{n + 1}": 2 * ROUNDS for n in range(pages)}
    counts = paged(slack)
    assert sum(max(0, ROUNDS - c) for c in counts.values()) == 0, counts  # no direct message lost

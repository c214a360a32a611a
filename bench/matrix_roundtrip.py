"""chatops-matrix-roundtrip: command -> reply latency over a real Synapse, against a bare matrix-nio bot.

The in-memory benchmarks (echo.py, notes.py) measure chatops alone; what a
responder feels is the round trip through the homeserver.  This starts one
real Synapse on 127.0.0.1 (``tests/matrix/synapse_server.py``), registers
three fresh users and runs, in one process and one event loop:

* chatops with the Matrix transport (SQLite, every built-in plugin, the
  ``!bench hello <i>`` plugin of bench/echo.py), configured as the Matrix
  tests configure it;
* a bare bot: a plain matrix-nio ``AsyncClient`` with its own long-poll sync
  loop (``sync(timeout=30000)``, the first sync skips history) that answers
  ``!bench hello <i>`` with the same ``m.notice`` chatops sends (body, HTML
  ``formatted_body``, empty ``m.mentions``);
* a human: ``tests/matrix/people.Person``, a plain matrix-nio client with a
  background sync loop.

Each bot sits in a room of its own with the human (the human creates both and
invites one bot into each), so each bot's sync sees only its own commands
and replies, and a command can only be answered by the bot it is meant for.
The human sends ``!bench hello <i>`` to the chatops room, waits for the
answer, then to the bare room, then ``i+1`` to chatops, and so on: requests
are interleaved one at a time, with no other traffic, so both bots see the
same homeserver in the same state.  A round trip is the time from the
human's ``room_send`` of the command to the moment the human's sync hands
over the bot's ``m.notice`` ``hello <i>`` (timestamped in a matrix-nio event
callback, as the sync response is parsed).  Warm-up round trips are not
counted.  Errors are commands that failed to send, answers that did not come
within ``--timeout``, wrong answers and duplicated answers.

``p50_ratio`` = chatops p50 / bare p50: what chatops adds on top of what any
Matrix bot pays (homeserver, HTTP, the two syncs); the target is <= 1.15.
``--trace`` also times, for both bots, where each round trip went (the bot's
sync, its dispatch, its send, the human's sync) and how long after its answer
each bot is long-polling again, by wrapping client methods in this process;
it adds a few microseconds per call to both sides.

Strict alternation means each bot's command follows the other bot's answer,
so whatever a bot still does after answering (its own answer comes back in
one more sync; chatops also saves its sync cursor after each batch) overlaps
the other bot's next round trip.  ``--order alternate`` (chatops, bare, bare,
chatops, ...) and ``--gap-ms`` (a pause after each answer, as a person reading
it) show how much of the difference between the two is that overlap.

Run from the repository root (Synapse comes from .venv-synapse or $SYNAPSE_PYTHON):
    .venv/bin/python bench/matrix_roundtrip.py [--n 200] [--warmup 20] [--trace]
        [--order chatops-first|bare-first|alternate] [--gap-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "matrix"))

from benchkit import percentile  # noqa: E402
from echo import BenchPlugin  # noqa: E402
from nio import (  # noqa: E402
    AsyncClient,
    InviteMemberEvent,
    LoginResponse,
    MatrixRoom,
    RoomMessageNotice,
    RoomMessageText,
    SyncResponse,
)
from people import PASSWORD, Person  # noqa: E402
from synapse_server import Synapse, synapse_python  # noqa: E402

import chatops  # noqa: E402
from chatops.app import App  # noqa: E402
from chatops.config import load_config  # noqa: E402

COMMAND = "!bench hello "
SYSTEMS = ("chatops", "bare")


def answer(i: str) -> dict[str, Any]:
    """What chatops' Matrix transport sends for ``ctx.reply(f"hello {i}")`` (render.render)."""
    return {
        "msgtype": "m.notice",
        "body": f"hello {i}",
        "format": "org.matrix.custom.html",
        "formatted_body": f"<p>hello {escape(i)}</p>",
        "m.mentions": {},
    }


class BareBot:
    """The least a Matrix bot can do: one long-poll sync loop that answers ``!bench hello <i>``."""

    def __init__(self, homeserver: str, user_id: str, may_invite: str) -> None:
        self.user_id = user_id
        self.may_invite = may_invite
        self.client = AsyncClient(homeserver, user_id)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        login = await self.client.login(PASSWORD, device_name="bare-bot")
        if not isinstance(login, LoginResponse):
            raise RuntimeError(f"bare bot login failed: {login}")
        first = await self.client.sync(timeout=0, full_state=True)  # skip history
        if not isinstance(first, SyncResponse):
            raise RuntimeError(f"bare bot first sync failed: {first}")
        self._task = asyncio.create_task(self._sync_forever(), name="bare-sync")

    async def _sync_forever(self) -> None:
        while True:
            response = await self.client.sync(timeout=30000)  # since = the client's next_batch
            if not isinstance(response, SyncResponse):
                await asyncio.sleep(1)
                continue
            for room_id, info in response.rooms.invite.items():
                if any(
                    isinstance(e, InviteMemberEvent)
                    and e.sender == self.may_invite
                    and e.membership == "invite"
                    for e in info.invite_state
                ):
                    await self.client.join(room_id)
            for room_id, joined in response.rooms.join.items():
                for event in joined.timeline.events:
                    if (
                        isinstance(event, RoomMessageText)
                        and event.sender != self.user_id
                        and event.body.startswith(COMMAND)
                    ):
                        i = event.body.removeprefix(COMMAND).strip()
                        await self.client.room_send(room_id, "m.room.message", answer(i))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self.client.close()


class Arrivals:
    """When the human's sync handed over each bot notice (a matrix-nio event callback)."""

    def __init__(self, human: Person) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self._waiting: dict[tuple[str, str, str], asyncio.Future[float]] = {}
        human.client.add_event_callback(self._on_notice, RoomMessageNotice)

    def _on_notice(self, room: MatrixRoom, event: RoomMessageNotice) -> None:
        now = time.perf_counter()
        key = (room.room_id, event.sender, event.body)
        self.counts[key] += 1
        future = self._waiting.pop(key, None)
        if future is not None and not future.done():
            future.set_result(now)

    def expect(self, room_id: str, sender: str, body: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[(room_id, sender, body)] = future
        return future


@dataclass
class Trip:
    """One round trip's timestamps (time.perf_counter()); the bot-side ones only with --trace."""

    began: float = 0.0  # the human calls room_send
    sent: float = 0.0  # the human's room_send returned
    sync_started: float = 0.0  # the bot's sync that delivered the command was sent
    sync_returned: float = 0.0  # ... and returned
    handled: float = 0.0  # chatops: dispatcher.handle entered (bare: = sync_returned)
    reply_started: float = 0.0  # the bot calls room_send with the answer
    reply_sent: float = 0.0  # ... returned
    seen: float = 0.0  # the human's sync handed over the answer


@dataclass
class Probe:
    """Wraps a bot's client methods (in this process only) to time where a round trip goes."""

    trips: dict[str, Trip]
    cursor_saves: list[float] = field(default_factory=list)  # ms each app.cursors.save took
    syncs: int = 0

    def watch_client(self, client: AsyncClient) -> None:
        sync, room_send = client.sync, client.room_send

        async def timed_sync(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            response = await sync(*args, **kwargs)
            returned = time.perf_counter()
            self.syncs += 1
            if isinstance(response, SyncResponse):
                for joined in response.rooms.join.values():
                    for event in joined.timeline.events:
                        body = getattr(event, "body", "")
                        if isinstance(event, RoomMessageText) and body.startswith(COMMAND):
                            trip = self.trips.setdefault(body.removeprefix(COMMAND).strip(), Trip())
                            trip.sync_started, trip.sync_returned = started, returned
                            trip.handled = trip.handled or returned
            return response

        async def timed_send(
            room_id: str, message_type: str, content: dict[str, Any], *a: Any, **kw: Any
        ) -> Any:
            trip = self.trips.setdefault(str(content.get("body", "")).removeprefix("hello "), Trip())
            trip.reply_started = time.perf_counter()
            response = await room_send(room_id, message_type, content, *a, **kw)
            trip.reply_sent = time.perf_counter()
            return response

        client.sync = timed_sync
        client.room_send = timed_send

    def watch_app(self, app: App) -> None:
        handle, save = app.dispatcher.handle, app.cursors.save

        async def timed_handle(message: Any) -> None:
            trip = self.trips.setdefault(message.text.rsplit(" ", 1)[-1], Trip())
            trip.handled = time.perf_counter()
            await handle(message)

        async def timed_save(transport: str, cursor: str) -> None:
            started = time.perf_counter()
            await save(transport, cursor)
            self.cursor_saves.append((time.perf_counter() - started) * 1e3)

        app.dispatcher.handle = timed_handle
        app.cursors.save = timed_save


async def joined(human: Person, room_id: str, user_id: str) -> None:
    """Wait until the human's sync shows ``user_id`` joined ``room_id``."""
    await human.wait_for(
        lambda: any(
            s.room_id == room_id
            and getattr(s.event, "state_key", None) == user_id
            and getattr(s.event, "membership", None) == "join"
            for s in human.seen
        ),
        60,
    )


async def room_with(human: Person, bot_id: str, name: str) -> str:
    created = await human.client.room_create(name=name, invite=[bot_id])
    room_id = str(created.room_id)
    await joined(human, room_id, bot_id)
    return room_id


async def round_trip(
    human: Person, arrivals: Arrivals, room_id: str, bot_id: str, i: int, trip: Trip, wait_s: float
) -> bool:
    """Send ``!bench hello i`` and wait for the bot's ``hello i``; fill ``trip``; False on failure."""
    seen = arrivals.expect(room_id, bot_id, f"hello {i}")
    trip.began = time.perf_counter()
    try:
        await human.say(room_id, f"{COMMAND}{i}")
        trip.sent = time.perf_counter()
        trip.seen = await asyncio.wait_for(seen, wait_s)
    except (AssertionError, TimeoutError) as exc:
        print(f"round trip {i} in {room_id} failed: {exc!r}")
        return False
    return True


def segments(trips: list[Trip], traced: bool) -> dict[str, float]:
    """Median milliseconds of each leg of the round trips (bot-side legs only when traced)."""
    ms: dict[str, Callable[[Trip], float]] = {"human room_send": lambda t: t.sent - t.began}
    if traced:
        ms |= {
            "send -> bot sync returns": lambda t: t.sync_returned - t.began,
            "bot sync returns -> handler": lambda t: t.handled - t.sync_returned,
            "handler -> bot room_send": lambda t: t.reply_started - t.handled,
            "bot room_send": lambda t: t.reply_sent - t.reply_started,
            "bot room_send done -> human sees": lambda t: t.seen - t.reply_sent,
        }
    ms["round trip"] = lambda t: t.seen - t.began
    return {name: round(statistics.median(f(t) for t in trips) * 1e3, 3) for name, f in ms.items()}


def back_to_polling(trips: dict[str, Trip]) -> float:
    """Median ms from a bot's answer being sent to its next long-poll (the sync that brings the next command).

    In between, the bot syncs again (its own answer comes back) and chatops saves its sync cursor after
    each of those batches; a command sent meanwhile waits.
    """
    tails = [
        nxt.sync_started - this.reply_sent
        for k, this in trips.items()
        if (nxt := trips.get(str(int(k) + 1))) is not None
        and this.reply_sent > 0
        and this.reply_sent < nxt.sync_started < nxt.began
    ]
    return round(statistics.median(tails) * 1e3, 3) if tails else float("nan")


def not_polling(trips: list[Trip]) -> str:
    """Commands sent while the bot was not long-polling: how many, how long they waited, their round trips."""
    late = [t for t in trips if t.sync_started > t.began]
    if not late:
        return f"0/{len(trips)} commands came while the bot was not polling"
    waited = statistics.median(t.sync_started - t.began for t in late) * 1e3
    late_p50 = statistics.median(t.seen - t.began for t in late) * 1e3
    others = [t.seen - t.began for t in trips if t.sync_started <= t.began]
    others_p50 = statistics.median(others) * 1e3 if others else float("nan")
    return (
        f"{len(late)}/{len(trips)} commands came while the bot was not polling (median wait "
        f"{waited:.2f} ms; their round trip p50 {late_p50:.2f} ms vs {others_p50:.2f} ms for the others)"
    )


def synapse_version(python: str) -> str:
    found = subprocess.run(
        [python, "-c", "import synapse; print(synapse.__version__)"], capture_output=True, text=True
    )
    return (found.stdout.split() or ["unknown"])[0]


def order_of(order: str, i: int) -> tuple[str, ...]:
    """Who is asked first in pair ``i``: chatops (the default), the bare bot, or each in turn."""
    if order == "bare-first" or (order == "alternate" and i % 2):
        return SYSTEMS[::-1]
    return SYSTEMS


async def run(
    n: int, warmup: int, wait_s: float, traced: bool, order: str, gap_s: float
) -> dict[str, object]:
    python = synapse_python()
    server = Synapse(python)
    server.start()
    suffix = uuid.uuid4().hex[:8]
    human_id, chatops_id, bare_id = (
        f"@{name}{suffix}:{server.server_name}" for name in ("human", "chatops", "bare")
    )
    cleanup: list[Callable[[], Awaitable[None]]] = []
    try:
        for mxid in (human_id, chatops_id, bare_id):
            await server.register(mxid[1:].split(":", 1)[0], PASSWORD)
        with tempfile.TemporaryDirectory(prefix="chatops-matrix-rt-") as tmp:
            config = load_config(
                None,
                db_url=f"sqlite:///{Path(tmp) / 'chatops.db'}",
                environ={},
                overrides={
                    "web": {"enabled": False},
                    "transports": {
                        "matrix": {
                            "homeserver": server.url,
                            "user_id": chatops_id,
                            "password": PASSWORD,
                            "store_path": str(Path(tmp) / "matrix-store"),
                            "auto_join_users": [human_id],
                            "reconnect_max_wait_s": 1,
                        }
                    },
                },
            )
            app = App(config, extra_plugins=[("bench", BenchPlugin())])
            await app.start()
            cleanup.append(app.stop)
            bare = BareBot(server.url, bare_id, human_id)
            await bare.start()
            cleanup.append(bare.close)
            human = Person(server.url, human_id)
            await human.start()
            cleanup.append(human.close)
            arrivals = Arrivals(human)

            trips: dict[str, dict[str, Trip]] = {system: {} for system in SYSTEMS}
            probes = {system: Probe(trips[system]) for system in SYSTEMS}
            if traced:
                probes["chatops"].watch_client(app.transports["matrix"].client)
                probes["chatops"].watch_app(app)
                probes["bare"].watch_client(bare.client)
            rooms = {
                "chatops": (await room_with(human, chatops_id, "chatops bench"), chatops_id),
                "bare": (await room_with(human, bare_id, "bare bench"), bare_id),
            }

            errors = 0
            for i in range(warmup + n):
                for system in order_of(order, i):
                    room_id, bot_id = rooms[system]
                    trip = trips[system].setdefault(str(i), Trip())
                    errors += not await round_trip(human, arrivals, room_id, bot_id, i, trip, wait_s)
                    if gap_s:
                        await asyncio.sleep(gap_s)  # a person reading the answer before typing again
                if i + 1 == warmup:
                    print(f"warm-up done ({warmup} round trips each)")
            await asyncio.sleep(1)  # a grace period in which a late or doubled answer would show up
            expected = {(rooms[s][0], rooms[s][1], f"hello {i}") for s in SYSTEMS for i in range(warmup + n)}
            errors += sum(
                count - 1 for key, count in arrivals.counts.items() if key in expected and count > 1
            )
            errors += sum(count for key, count in arrivals.counts.items() if key not in expected)
    finally:
        for close in reversed(cleanup):
            try:
                await close()
            except Exception as exc:  # a bench tears down whatever it can
                print(f"cleanup failed: {exc!r}")
        server.close()

    measured = {
        system: [t for k, t in trips[system].items() if int(k) >= warmup and t.seen > 0] for system in SYSTEMS
    }
    latency = {system: [(t.seen - t.began) * 1e3 for t in measured[system]] for system in SYSTEMS}
    for system in SYSTEMS:
        lat = latency[system]
        print(
            f"{system:>7}: {len(lat)} round trips, p50 {percentile(lat, 0.5):.2f} ms, "
            f"p90 {percentile(lat, 0.9):.2f} ms, p99 {percentile(lat, 0.99):.2f} ms, "
            f"min {min(lat):.2f} ms, mean {statistics.fmean(lat):.2f} ms"
        )
    if traced:
        for system in SYSTEMS:
            print(f"{system:>7} legs (median ms): {json.dumps(segments(measured[system], True))}")
            print(
                f"{system:>7}: {not_polling(measured[system])}; {probes[system].syncs} syncs; "
                f"answer sent -> polling again: median {back_to_polling(trips[system])} ms"
            )
        saves = probes["chatops"].cursor_saves
        if saves:
            print(
                f"chatops cursors.save: {len(saves)} calls, p50 {percentile(saves, 0.5):.2f} ms, "
                f"p99 {percentile(saves, 0.99):.2f} ms"
            )

    chatops_p50, bare_p50 = percentile(latency["chatops"], 0.5), percentile(latency["bare"], 0.5)
    return {
        "system": "chatops",
        "version": chatops.__version__,
        "homeserver": f"synapse {synapse_version(python)}",
        "n": n,
        "warmup": warmup,
        "chatops_p50_ms": round(chatops_p50, 3),
        "chatops_p99_ms": round(percentile(latency["chatops"], 0.99), 3),
        "bare_p50_ms": round(bare_p50, 3),
        "bare_p99_ms": round(percentile(latency["bare"], 0.99), 3),
        "p50_ratio": round(chatops_p50 / bare_p50, 3),
        "order": order,
        "gap_ms": round(gap_s * 1e3),
        "traced": traced,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="measured round trips per bot (default 200)")
    parser.add_argument(
        "--warmup", type=int, default=20, help="uncounted round trips per bot first (default 20)"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for one answer (default 30)"
    )
    parser.add_argument("--trace", action="store_true", help="also time each leg of the round trips")
    parser.add_argument(
        "--order",
        choices=("chatops-first", "bare-first", "alternate"),
        default="chatops-first",
        help="who is asked first in each pair (default chatops-first: chatops i, bare i, chatops i+1, ...)",
    )
    parser.add_argument(
        "--gap-ms",
        type=float,
        default=0.0,
        help="pause after each answer before the next command (default 0)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(args.n, args.warmup, args.timeout, args.trace, args.order, args.gap_ms / 1e3))
    print(
        f"chatops {result['version']} on {result['homeserver']}: p50 {result['chatops_p50_ms']} ms vs bare "
        f"{result['bare_p50_ms']} ms ({result['p50_ratio']}x; target <= 1.15), errors {result['errors']}"
    )
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()

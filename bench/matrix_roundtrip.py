"""chatops-matrix-roundtrip: command -> reply latency over a real Synapse, against a bare matrix-nio bot.

The in-memory benchmarks (echo.py, notes.py) measure chatops alone; what a
responder feels is the round trip through the homeserver.  This starts one
real Synapse on 127.0.0.1 (``tests/matrix/synapse_server.py``) and, for each
kind of room (plain, then end-to-end encrypted; ``--rooms`` picks one), registers
three fresh users and runs, in one process and one event loop:

* chatops with the Matrix transport (SQLite, every built-in plugin, the
  ``!bench hello <i>`` plugin of bench/echo.py), configured as the Matrix
  tests configure it (``encryption: false`` in the plain phase);
* a bare bot: a plain matrix-nio ``AsyncClient`` with its own long-poll sync
  loop (``sync(timeout=30000)``, the first sync skips history) that answers
  ``!bench hello <i>`` with the same ``m.notice`` chatops sends (body, HTML
  ``formatted_body``, empty ``m.mentions``);
* a human: ``tests/matrix/people.Person``, a plain matrix-nio client with a
  background sync loop.

Encrypted rooms are where incidents are run when a deployment turns
encryption on, and every message then costs a megolm encryption, a
decryption, key bookkeeping in a crypto store and now and then a room key
shared over to-device messages -- on both sides.  So in the encrypted phase
all three are encrypting clients, each with its own nio ``SqliteStore``:
chatops runs with ``encryption: true`` and a ``pickle_key`` (as the
``secret_bot`` of tests/matrix/test_encryption.py); the bare bot, like nio's
``sync_forever``, does the key housekeeping (``crypto.housekeeping``: keys
uploaded, queried, claimed, to-device messages out) after each sync and,
as chatops does, before each send into an encrypted room, and sends with
``ignore_unverified_devices=True``; the human is a ``Person`` with a store.
Both rooms are created with ``m.room.encryption`` (megolm), and measuring
starts only once the human knows the bot's device (else the bot gets no room
key and cannot read the command).  The first messages set up the olm
sessions (100-150 ms more); the warm-up absorbs them.  Room keys are rotated
every 100 messages by every sender, so a measured run includes a few shares.

Each bot sits in a room of its own with the human (the human creates both and
invites one bot into each), so each bot's sync sees only its own commands
and replies, and a command can only be answered by the bot it is meant for.
The human sends ``!bench hello <i>`` to the chatops room, waits for the
answer, then to the bare room, then ``i+1`` to chatops, and so on: requests
are interleaved one at a time, with no other traffic, so both bots see the
same homeserver in the same state.  A round trip is the time from the
human's ``room_send`` of the command to the moment the human's sync hands
over the bot's ``m.notice`` ``hello <i>`` (timestamped in a matrix-nio event
callback, as the sync response is parsed -- in encrypted rooms, decrypted).
Warm-up round trips are not counted.  Errors are commands that failed to
send, answers that did not come within ``--timeout``, wrong answers (a
"can't decrypt" notice is one) and duplicated answers.

``p50_ratio`` = chatops p50 / bare p50: what chatops adds on top of what any
Matrix bot pays (homeserver, HTTP, the two syncs); the target is <= 1.15, in
plain and in encrypted rooms.  The RESULT line carries the plain figures as
``chatops_p50_ms`` ... ``p50_ratio``, ``errors`` and the encrypted ones with an
``enc_`` prefix (``enc_chatops_p50_ms`` ... ``enc_p50_ratio``, ``enc_errors``).
``--trace`` also times, for both bots, where each round trip went (the bot's
sync, its dispatch, its send, the human's sync), how long after its answer
each bot is long-polling again, in how many round trips the other bot's sync
returned, and (encrypted) the key requests, by wrapping client methods in this
process; it adds a few microseconds per call to both sides.

Strict alternation means each bot's command follows the other bot's answer,
so whatever a bot still does after answering (its own answer comes back in
one more sync; chatops also saves its sync cursor after each batch) overlaps
the other bot's next round trip.  The bare bot long-polls again only after
its send, so its answer's echo returns during chatops's next round trip,
while chatops, whose polling does not wait for handling, mostly has its echo
back within its own.  ``--order alternate`` (chatops, bare, bare, chatops,
...) and ``--gap-ms`` (a pause after each answer, as a person reading it)
show how much of the difference between the two is that overlap.

Run from the repository root (Synapse comes from .venv-synapse or $SYNAPSE_PYTHON):
    .venv/bin/python bench/matrix_roundtrip.py [--rooms both|plain|encrypted] [--n 200]
        [--warmup 20] [--trace] [--order chatops-first|bare-first|alternate] [--gap-ms 0]
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
    AsyncClientConfig,
    InviteMemberEvent,
    LoginResponse,
    MatrixRoom,
    RoomMessageNotice,
    RoomMessageText,
    SyncResponse,
)
from nio.store import SqliteStore  # noqa: E402
from people import PASSWORD, Person  # noqa: E402
from synapse_server import Synapse, synapse_python  # noqa: E402

import chatops  # noqa: E402
from chatops.app import App  # noqa: E402
from chatops.config import load_config  # noqa: E402
from chatops.transports.matrix.crypto import housekeeping  # noqa: E402
from chatops.transports.matrix.transport import MatrixTransport  # noqa: E402

COMMAND = "!bench hello "
SYSTEMS = ("chatops", "bare")
MODES = ("plain", "encrypted")
ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}
PICKLE_KEY = "matrix-roundtrip bench pickle key"


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
    """The least a Matrix bot can do: one long-poll sync loop that answers ``!bench hello <i>``.

    With ``store`` it is an encrypting client (nio's SqliteStore) that does, between syncs and
    before each send, the key housekeeping nio's ``sync_forever`` does (``crypto.housekeeping``).
    """

    def __init__(self, homeserver: str, user_id: str, may_invite: str, store: Path | None = None) -> None:
        self.user_id = user_id
        self.may_invite = may_invite
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)
            config = AsyncClientConfig(store=SqliteStore, encryption_enabled=True, pickle_key=PICKLE_KEY)
            self.client = AsyncClient(homeserver, user_id, store_path=str(store), config=config)
        else:
            self.client = AsyncClient(homeserver, user_id)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        login = await self.client.login(PASSWORD, device_name="bare-bot")
        if not isinstance(login, LoginResponse):
            raise RuntimeError(f"bare bot login failed: {login}")
        await housekeeping(self.client)  # encrypting: upload the device keys (a no-op otherwise)
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
            await housekeeping(self.client)
            for room_id, info in response.rooms.invite.items():
                if any(
                    isinstance(e, InviteMemberEvent)
                    and e.sender == self.may_invite
                    and e.membership == "invite"
                    for e in info.invite_state
                ):
                    await self.client.join(room_id)
            for room_id, joined in response.rooms.join.items():
                for event in joined.timeline.events:  # nio has decrypted what it could
                    if (
                        isinstance(event, RoomMessageText)
                        and event.sender != self.user_id
                        and event.body.startswith(COMMAND)
                    ):
                        i = event.body.removeprefix(COMMAND).strip()
                        await self._send(room_id, answer(i))

    async def _send(self, room_id: str, content: dict[str, Any]) -> None:
        room = self.client.rooms.get(room_id)
        if room is not None and room.encrypted:
            await housekeeping(self.client)  # know every member's devices before sharing the room key
        await self.client.room_send(room_id, "m.room.message", content, ignore_unverified_devices=True)

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
    sync_returns: list[float] = field(default_factory=list)  # when each of the bot's syncs returned
    crypto: dict[str, list[float]] = field(default_factory=dict)  # ms of each key request, by method

    def watch_client(self, client: AsyncClient) -> None:
        sync, room_send = client.sync, client.room_send

        async def timed_sync(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            response = await sync(*args, **kwargs)
            returned = time.perf_counter()
            self.syncs += 1
            self.sync_returns.append(returned)
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

    def watch_crypto(self, client: AsyncClient) -> None:
        """Time the requests encryption adds: key upload/query/claim, room key shares, to-device sends."""
        for name in ("keys_upload", "keys_query", "keys_claim", "share_group_session", "to_device"):
            setattr(client, name, self._timed(name, getattr(client, name)))

    def _timed(self, name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                self.crypto.setdefault(name, []).append((time.perf_counter() - started) * 1e3)

        return timed

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

        app.dispatcher.handle = timed_handle  # type: ignore[method-assign]
        app.cursors.save = timed_save  # type: ignore[method-assign]


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


async def room_with(human: Person, bot_id: str, name: str, encrypted: bool) -> str:
    """A room of the human's with ``bot_id`` in it; encrypted, once the human knows the bot's device.

    Without that device the human's room key would not reach the bot, and it could not read the command.
    """
    created = await human.client.room_create(
        name=name, invite=[bot_id], initial_state=[ENCRYPTION] if encrypted else []
    )
    room_id = str(created.room_id)
    await joined(human, room_id, bot_id)
    if encrypted:
        await human.wait_for(lambda: list(human.client.device_store.active_user_devices(bot_id)), 60)
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


def overlapped(trips: list[Trip], other: Probe, who: str) -> str:
    """Round trips in which the other bot's sync returned: its work then shares Synapse and this process."""
    during: list[float] = []
    others: list[float] = []
    for t in trips:
        inside = any(t.began < r < t.seen for r in other.sync_returns)
        (during if inside else others).append((t.seen - t.began) * 1e3)
    if not during:
        return f"no round trip had a {who} sync return inside it"
    others_p50 = statistics.median(others) if others else float("nan")
    return (
        f"{len(during)}/{len(trips)} round trips had a {who} sync return inside them "
        f"(p50 {statistics.median(during):.2f} ms vs {others_p50:.2f} ms for the others)"
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


@dataclass
class Options:
    """How to run each phase (the command line)."""

    n: int
    warmup: int
    wait_s: float
    traced: bool
    order: str
    gap_s: float


@dataclass
class Phase:
    """What one phase (plain or encrypted rooms) measured."""

    mode: str
    trips: dict[str, dict[str, Trip]]
    probes: dict[str, Probe]
    measured: dict[str, list[Trip]] = field(default_factory=dict)
    latency: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0


async def phase(server: Synapse, mode: str, tmp: Path, opts: Options) -> Phase:
    """Fresh users, chatops, the bare bot and the human; ``warmup + n`` interleaved round trips each."""
    encrypted = mode == "encrypted"
    suffix = uuid.uuid4().hex[:8]
    human_id, chatops_id, bare_id = (
        f"@{name}{suffix}:{server.server_name}" for name in ("human", "chatops", "bare")
    )
    for mxid in (human_id, chatops_id, bare_id):
        await server.register(mxid[1:].split(":", 1)[0], PASSWORD)
    crypto: dict[str, Any] = {"encryption": encrypted}  # on by default: plain rooms turn it off
    if encrypted:
        crypto["pickle_key"] = PICKLE_KEY  # as the secret_bot of tests/matrix/test_encryption.py
    config = load_config(
        None,
        db_url=f"sqlite:///{tmp / 'chatops.db'}",
        environ={},
        overrides={
            "web": {"enabled": False},
            "transports": {
                "matrix": {
                    "homeserver": server.url,
                    "user_id": chatops_id,
                    "password": PASSWORD,
                    "store_path": str(tmp / "matrix-store"),
                    "auto_join_users": [human_id],
                    "reconnect_max_wait_s": 1,
                    **crypto,
                }
            },
        },
    )
    trips: dict[str, dict[str, Trip]] = {system: {} for system in SYSTEMS}
    result = Phase(mode, trips, {system: Probe(trips[system]) for system in SYSTEMS})
    cleanup: list[Callable[[], Awaitable[None]]] = []
    try:
        app = App(config, extra_plugins=[("bench", BenchPlugin())])
        await app.start()
        cleanup.append(app.stop)
        bare = BareBot(server.url, bare_id, human_id, tmp / "bare-store" if encrypted else None)
        await bare.start()
        cleanup.append(bare.close)
        human = Person(server.url, human_id, tmp / "human-store" if encrypted else None)
        await human.start()
        cleanup.append(human.close)
        arrivals = Arrivals(human)

        if opts.traced:
            transport = app.transports["matrix"]
            assert isinstance(transport, MatrixTransport) and transport.client is not None
            chatops_client = transport.client
            result.probes["chatops"].watch_client(chatops_client)
            result.probes["chatops"].watch_app(app)
            result.probes["bare"].watch_client(bare.client)
            if encrypted:
                result.probes["chatops"].watch_crypto(chatops_client)
                result.probes["bare"].watch_crypto(bare.client)
        rooms = {
            "chatops": (await room_with(human, chatops_id, "chatops bench", encrypted), chatops_id),
            "bare": (await room_with(human, bare_id, "bare bench", encrypted), bare_id),
        }

        for i in range(opts.warmup + opts.n):
            for system in order_of(opts.order, i):
                room_id, bot_id = rooms[system]
                trip = trips[system].setdefault(str(i), Trip())
                ok = await round_trip(human, arrivals, room_id, bot_id, i, trip, opts.wait_s)
                result.errors += not ok
                if opts.gap_s:
                    await asyncio.sleep(opts.gap_s)  # a person reading the answer before typing again
            if i + 1 == opts.warmup:
                print(f"{mode}: warm-up done ({opts.warmup} round trips each)")
        await asyncio.sleep(1)  # a grace period in which a late or doubled answer would show up
        expected = {
            (rooms[s][0], rooms[s][1], f"hello {i}") for s in SYSTEMS for i in range(opts.warmup + opts.n)
        }
        result.errors += sum(
            count - 1 for key, count in arrivals.counts.items() if key in expected and count > 1
        )
        result.errors += sum(count for key, count in arrivals.counts.items() if key not in expected)
    finally:
        for close in reversed(cleanup):
            try:
                await close()
            except Exception as exc:  # a bench tears down whatever it can
                print(f"cleanup failed: {exc!r}")

    result.measured = {
        system: [t for k, t in trips[system].items() if int(k) >= opts.warmup and t.seen > 0]
        for system in SYSTEMS
    }
    result.latency = {
        system: [(t.seen - t.began) * 1e3 for t in result.measured[system]] for system in SYSTEMS
    }
    return result


def report(result: Phase, traced: bool) -> dict[str, float | int]:
    """Print the phase's figures (and legs, with --trace); its RESULT keys, ``enc_``-prefixed if encrypted."""
    tag = result.mode
    for system in SYSTEMS:
        lat = result.latency[system]
        if not lat:
            print(f"{tag} {system:>7}: no round trip completed")
            continue
        print(
            f"{tag} {system:>7}: {len(lat)} round trips, p50 {percentile(lat, 0.5):.2f} ms, "
            f"p90 {percentile(lat, 0.9):.2f} ms, p99 {percentile(lat, 0.99):.2f} ms, "
            f"min {min(lat):.2f} ms, mean {statistics.fmean(lat):.2f} ms"
        )
    if traced:
        for system in SYSTEMS:
            probe, measured = result.probes[system], result.measured[system]
            if measured:
                print(f"{tag} {system:>7} legs (median ms): {json.dumps(segments(measured, True))}")
                print(
                    f"{tag} {system:>7}: {not_polling(measured)}; {probe.syncs} syncs; "
                    f"answer sent -> polling again: median {back_to_polling(result.trips[system])} ms"
                )
                other = "bare" if system == "chatops" else "chatops"
                print(f"{tag} {system:>7}: {overlapped(measured, result.probes[other], other)}")
            if probe.crypto:
                calls = {
                    name: f"{len(ms)} calls, {sum(ms):.1f} ms in all, max {max(ms):.1f} ms"
                    for name, ms in probe.crypto.items()
                }
                print(f"{tag} {system:>7} key requests (whole run, warm-up included): {json.dumps(calls)}")
        saves = result.probes["chatops"].cursor_saves
        if saves:
            print(
                f"{tag} chatops cursors.save: {len(saves)} calls, p50 {percentile(saves, 0.5):.2f} ms, "
                f"p99 {percentile(saves, 0.99):.2f} ms"
            )

    chatops_p50 = percentile(result.latency["chatops"], 0.5)
    bare_p50 = percentile(result.latency["bare"], 0.5)
    prefix = "enc_" if result.mode == "encrypted" else ""
    return {
        f"{prefix}chatops_p50_ms": round(chatops_p50, 3),
        f"{prefix}chatops_p99_ms": round(percentile(result.latency["chatops"], 0.99), 3),
        f"{prefix}bare_p50_ms": round(bare_p50, 3),
        f"{prefix}bare_p99_ms": round(percentile(result.latency["bare"], 0.99), 3),
        f"{prefix}p50_ratio": round(chatops_p50 / bare_p50, 3),
        f"{prefix}errors": result.errors,
    }


async def run(modes: tuple[str, ...], opts: Options) -> dict[str, object]:
    """One Synapse for every phase; each phase has its own users, bots and stores."""
    python = synapse_python()
    server = Synapse(python)
    server.start()
    figures: dict[str, float | int] = {}
    try:
        for mode in modes:
            with tempfile.TemporaryDirectory(prefix=f"chatops-matrix-rt-{mode}-") as tmp:
                result = await phase(server, mode, Path(tmp), opts)
            figures |= report(result, opts.traced)
    finally:
        server.close()
    return {
        "system": "chatops",
        "version": chatops.__version__,
        "homeserver": f"synapse {synapse_version(python)}",
        "rooms": "+".join(modes),
        "n": opts.n,
        "warmup": opts.warmup,
        **figures,
        "order": opts.order,
        "gap_ms": round(opts.gap_s * 1e3),
        "traced": opts.traced,
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
    parser.add_argument(
        "--rooms",
        choices=("both", *MODES),
        default="both",
        help="plain rooms, end-to-end encrypted rooms, or both, one after the other (default both)",
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
    modes = MODES if args.rooms == "both" else (args.rooms,)
    opts = Options(args.n, args.warmup, args.timeout, args.trace, args.order, args.gap_ms / 1e3)
    result = asyncio.run(run(modes, opts))
    for mode in modes:
        prefix = "enc_" if mode == "encrypted" else ""
        print(
            f"chatops {result['version']} on {result['homeserver']}, {mode} rooms: p50 "
            f"{result[prefix + 'chatops_p50_ms']} ms vs bare {result[prefix + 'bare_p50_ms']} ms "
            f"({result[prefix + 'p50_ratio']}x; target <= 1.15), errors {result[prefix + 'errors']}"
        )
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()

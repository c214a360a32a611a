"""What the benchmarks share: an in-memory transport, app start-up, percentiles.

The benchmarks must measure chatops, not a terminal or a network, yet still go
through everything a real adapter does: build the validated ``Message`` from a
platform payload, hand it to ``app.dispatcher.handle``, and render outbound
``Content`` with ``render_text``.  ``MemoryTransport`` is written only against
the public Transport API and timestamps each outbound message on arrival, so
latency is measured to the moment the reply reached the adapter.
"""

from __future__ import annotations

import itertools
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from chatops.app import App
from chatops.config import load_config
from chatops.models.chat import Message, MessageRef, Room, ThreadRef, User
from chatops.models.content import Content, render_text
from chatops.transports.base import Transport


@dataclass(frozen=True, slots=True)
class Reply:
    """One message the bot sent, as the platform would have received it."""

    at: float  # time.perf_counter() when the adapter received it
    room_id: str
    thread_id: str | None
    text: str


class MemoryTransport(Transport):
    """Delivers inbound text as ``Message``s and records what the bot sends back."""

    def __init__(self, app: App, name: str = "mem", config: dict[str, Any] | None = None) -> None:
        super().__init__(app, name, config or {})
        self.rooms: dict[str, Room] = {}
        self.capabilities = self.capabilities.model_copy(update={"edits": True})
        self.replies: list[Reply] = []
        self.edits = 0  # messages edited in place (alert groups, acknowledged pages)
        # Called for every reply as it arrives (e.g. to print an acknowledgement at once).
        self.on_reply: Callable[[Reply], None] | None = None
        self._event_ids = itertools.count(1)
        self._session = uuid.uuid4().hex[:8]  # ids unique across restarts and replicas
        self._message_ids = itertools.count(1)

    def room(self, name: str) -> Room:
        """The room called ``name``, remembered like a platform's channel list."""
        room_id = f"{self.name}:{name}"
        found = self.rooms.get(room_id)
        if found is None:
            found = self.rooms[room_id] = Room(id=room_id, name=name, direct=name.startswith("@"))
        return found

    async def deliver(self, sender: str, room: str, text: str, thread_id: str | None = None) -> None:
        """Inbound path: platform payload -> validated ``Message`` -> dispatcher."""
        found = self.room(room)
        message = Message(
            event_id=f"{self.name}-{self._session}-{next(self._event_ids)}",
            room=found,
            sender=self.user(sender),
            text=text,
            thread=ThreadRef(room_id=found.id, id=thread_id) if thread_id is not None else None,
        )
        await self.app.dispatcher.handle(message)

    async def send(self, room_id: str, content: Content, thread: ThreadRef | None) -> MessageRef:
        reply = Reply(time.perf_counter(), room_id, thread.id if thread else None, render_text(content))
        self.replies.append(reply)
        if self.on_reply is not None:
            self.on_reply(reply)
        return MessageRef(room_id=room_id, id=str(next(self._message_ids)))

    async def edit(self, ref: MessageRef, content: Content) -> None:
        render_text(content)  # what an adapter does before it calls the platform
        self.edits += 1

    async def create_room(
        self,
        name: str,
        topic: str,
        *,
        private: bool,
        invite: Sequence[User],
        display_name: str | None = None,
        origin_room_id: str | None = None,
    ) -> Room:
        room = self.room(name)
        if private and not room.private:
            room = self.rooms[room.id] = room.model_copy(update={"private": True})
        return room

    async def direct_room(self, user: User) -> Room:
        return self.room(f"@{user.name}")

    def resolve_mention(self, token: str) -> User | None:
        if not token.startswith("@") or len(token) < 2:
            return None
        return self.user(token[1:])


async def start_app(
    db_url: str,
    *,
    plugins: Iterable[tuple[str, object]] = (),
    overrides: dict[str, Any] | None = None,
    lease: bool = False,
) -> tuple[App, MemoryTransport, float]:
    """Build and start an app with every default on and only a ``MemoryTransport``.

    Returns the app, its transport and the start-up time in seconds (App
    construction + ``start``, which includes plugin loading and migrations).
    """
    settings = {"web": {"enabled": False}, "transports": {}, **(overrides or {})}
    cfg = load_config(None, db_url=db_url, environ={}, overrides=settings)
    began = time.perf_counter()
    app = App(cfg, extra_plugins=list(plugins), transports={})
    transport = MemoryTransport(app)
    app.transports[transport.name] = transport
    await app.start(lease=lease)  # lease: a replica, as `chatops run` on PostgreSQL
    return app, transport, time.perf_counter() - began


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation, so p99 is a latency that really happened)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


@asynccontextmanager
async def scratch_pg_database(server_url: str) -> AsyncIterator[str]:
    """A fresh ``chatops_bench_<random>`` database on the server; dropped afterwards."""
    import asyncpg  # only needed with --pg-url (the chatops[postgres] extra)

    server = make_url(server_url)
    name = f"chatops_bench_{secrets.token_hex(4)}"
    admin_dsn = server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()

"""A whole app in-process, driven like a chat: ``await chat.say("!incident declare ...")``.

Async, no threads, no sleeps: every call returns once the app has finished
what the message caused (handlers, observers, replies), and time moves only
with ``advance``.  Organisations use the same harness for their plugins.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chatops.app import App
from chatops.clock import FakeClock, parse_duration
from chatops.config import load_config
from chatops.models.chat import Capabilities
from chatops.testing.fake import FakeTransport, Sent

DEFAULT_START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


class Harness:
    def __init__(self, app: App, transport: FakeTransport, clock: FakeClock, options: dict[str, Any]) -> None:
        self.app = app
        self.transport = transport
        self.clock = clock
        self._options = options
        self.successor: Harness | None = None

    @classmethod
    async def create(
        cls,
        db_url: str,
        *,
        config: dict[str, Any] | None = None,
        plugins: list[tuple[str, object]] | None = None,
        capabilities: Capabilities | None = None,
        clock: FakeClock | None = None,
        start: datetime = DEFAULT_START,
    ) -> Harness:
        options = {"db_url": db_url, "config": config, "plugins": plugins, "capabilities": capabilities}
        # A test's database is fresh: migrate it at start on any backend.
        settings = {
            "web": {"enabled": False},
            "transports": {},
            "database": {"auto_migrate": True},
            **(config or {}),
        }
        cfg = load_config(None, db_url=db_url, environ={}, overrides=settings)
        clock = clock or FakeClock(start)
        app = App(cfg, clock=clock, extra_plugins=plugins or [], transports={})
        transport = FakeTransport(app, capabilities=capabilities)
        app.transports[transport.name] = transport
        await app.start()
        return cls(app, transport, clock, options)

    async def say(
        self,
        text: str,
        *,
        user: str = "you",
        room: str = "lobby",
        event_id: str | None = None,
        thread: str | None = None,
    ) -> list[Sent]:
        """Deliver a message as ``user`` in ``room`` (in ``thread``, a root message's id);
        return what the bot sent meanwhile."""
        mark = len(self.transport.sent)
        await self.app.dispatcher.handle(self.transport.message(text, user, room, event_id, thread))
        await self.app.background.wait()
        return self.transport.sent[mark:]

    async def edit(
        self, message_id: str, text: str, *, user: str = "you", room: str = "lobby"
    ) -> list[tuple[str, str]]:
        """``user`` changes their message ``message_id`` (its event id) in ``room``: in a bridged
        room its copies follow.  Return the edits the bot made meanwhile (message id, new text)."""
        mark = len(self.transport.edits)
        await self.app.bridges.edited(self.transport.edited(message_id, text, user, room))
        await self.app.background.wait()
        return self.transport.edits[mark:]

    async def delete(self, message_id: str, *, room: str = "lobby") -> list[str]:
        """A message of ``room`` is taken back: in a bridged room its copies go too (with capability
        ``deletes``).  Return the ids of the messages the bot deleted meanwhile."""
        mark = len(self.transport.deleted)
        await self.app.bridges.deleted(self.transport.deletion(message_id, room))
        await self.app.background.wait()
        return self.transport.deleted[mark:]

    async def reply(self, text: str, **kwargs: Any) -> str:
        """The text of the first message sent in answer (in the room spoken in)."""
        room, thread = kwargs.get("room", "lobby"), kwargs.get("thread")
        sent = await self.say(text, **kwargs)
        for message in sent:
            if message.room == room and (message.thread.id if message.thread else None) == thread:
                return message.text
        raise AssertionError(f"no reply in {room!r} to {text!r}; sent: {sent!r}")

    async def advance(self, duration: str | timedelta) -> list[Sent]:
        delta = parse_duration(duration) if isinstance(duration, str) else duration
        mark = len(self.transport.sent)
        await self.app.advance(delta)
        return self.transport.sent[mark:]

    def messages(self, room: str | None = None) -> list[Sent]:
        return [m for m in self.transport.sent if room is None or m.room == room]

    async def restart(self) -> Harness:
        """Stop the app and start a new one on the same database and clock."""
        await self.app.stop()
        opts = self._options
        self.successor = await Harness.create(
            opts["db_url"],
            config=opts["config"],
            plugins=opts["plugins"],
            capabilities=opts["capabilities"],
            clock=self.clock,
        )
        return self.successor

    async def close(self) -> None:
        await self.app.stop()


def sqlite_url(directory: Path, name: str = "chatops.db") -> str:
    return f"sqlite:///{directory / name}"

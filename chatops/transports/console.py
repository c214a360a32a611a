"""The console transport: a chat on a terminal, for local use and scripted demos.

People are plain names (``alice``), mentioned as ``@alice``; rooms are
names (``lobby``, ``inc-1-checkout-api-errors``).  Every message is one
line ``[ROOM] NAME: text`` with continuation lines indented.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from chatops.models.chat import Capabilities, Message, MessageRef, Room, ThreadRef, User
from chatops.models.content import Content, render_text
from chatops.transports.base import Transport

if TYPE_CHECKING:
    from chatops.app import App

_NAME = re.compile(r"^@?([\w.\-]+)$", re.UNICODE)


class ConsoleTransport(Transport):
    capabilities = Capabilities(create_rooms=True, topics=True, direct_messages=True)

    def __init__(self, app: App, name: str, config: dict[str, Any], out: TextIO | None = None) -> None:
        super().__init__(app, name, config)
        self.out = out or sys.stdout
        self.rooms: dict[str, Room] = {}
        self.topics: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._session = uuid.uuid4().hex[:8]  # ids unique across restarts and replicas
        self._reader: asyncio.Task[None] | None = None
        self.room("lobby")

    async def start(self) -> None:
        """Under ``chatops run``, chat on the process's terminal (``interactive: false`` turns it off)."""
        if self.config.get("interactive", True) and sys.stdin is not None and not sys.stdin.closed:
            from chatops.shell import ConsoleSession, interactive

            session = ConsoleSession(self.app, self, self.out, echo=False)
            self._reader = asyncio.create_task(interactive(session, sys.stdin), name="console-input")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None

    def room(self, name: str) -> Room:
        name = name.lstrip("#")
        room_id = f"{self.name}:{name}"
        found = self.rooms.get(room_id)
        if found is None:
            found = self.rooms[room_id] = Room(id=room_id, name=name, direct=name.startswith("@"))
        return found

    def message(self, sender: str, room: str, text: str) -> Message:
        event_id = f"{self.name}-{self._session}-{next(self._ids)}"
        return Message(
            event_id=event_id, room=self.room(room), sender=self.user(sender), text=text, message_id=event_id
        )

    async def say(self, sender: str, room: str, text: str) -> None:
        await self.app.dispatcher.handle(self.message(sender, room, text))

    def write(self, room_name: str, speaker: str, text: str) -> None:
        lines = text.splitlines() or [""]
        head = f"[{room_name}] {speaker}: "
        self.out.write(head + lines[0] + "\n")
        for line in lines[1:]:
            self.out.write("    " + line + "\n")
        self.out.flush()

    async def send(
        self, room_id: str, content: Content, thread: ThreadRef | None, idempotency_key: str | None = None
    ) -> MessageRef:
        room = self.rooms.get(room_id) or self.room(room_id.split(":", 1)[1])
        self.write(room.name, self.app.config.core.bot_name, render_text(content))
        return MessageRef(room_id=room.id, id=str(next(self._ids)))

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
        self.topics[room.id] = topic
        return room

    async def set_topic(self, room_id: str, topic: str) -> None:
        self.topics[room_id] = topic

    async def direct_room(self, user: User) -> Room:
        return self.room(f"@{user.name}")

    def resolve_mention(self, token: str) -> User | None:
        match = _NAME.match(token)
        if not token.startswith("@") or match is None:
            return None
        return self.user(match[1])

    def describe_rooms(self) -> str:
        lines = []
        for room in self.rooms.values():
            topic = self.topics.get(room.id, "")
            lines.append(
                f"{room.name}{' (private)' if room.private else ''}{'  — ' + topic if topic else ''}"
            )
        return "\n".join(lines)

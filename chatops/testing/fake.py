"""An in-process fake transport with configurable capabilities."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatops.models.chat import (
    Capabilities,
    Message,
    MessageDeleted,
    MessageEdited,
    MessageRef,
    Room,
    ThreadRef,
    User,
)
from chatops.models.content import Content, Form, render_text
from chatops.transports.base import Transport

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.context import CommandContext


@dataclass(frozen=True)
class Sent:
    """One message the bot sent through the fake transport."""

    room: str
    text: str
    content: Content
    thread: ThreadRef | None = None

    def __contains__(self, needle: str) -> bool:
        return needle in self.text


class FakeTransport(Transport):
    """Records what the bot sends; ``message``, ``edited`` and ``deletion`` are what a person does.

    Pass ``Capabilities(edits=True, deletes=True)`` to let bridged copies be deleted.
    """

    def __init__(
        self,
        app: App,
        name: str = "test",
        config: dict[str, Any] | None = None,
        capabilities: Capabilities | None = None,
    ) -> None:
        super().__init__(app, name, config or {})
        # Edits by default (most platforms have them); pass capabilities to test without.
        self.capabilities = capabilities if capabilities is not None else Capabilities(edits=True)
        self.sent: list[Sent] = []
        self.refs: list[str] = []  # the MessageRef id of each sent message, in order
        self.rooms: dict[str, Room] = {}
        self.topics: dict[str, str] = {}
        self.invited: dict[str, list[str]] = {}
        self.forms: list[tuple[str, Form]] = []
        self.edits: list[tuple[str, str]] = []  # (message id, new text)
        self.deleted: list[str] = []  # ids of the messages taken back
        self.pins: list[str] = []
        self.moderators: dict[str, set[str]] = {}
        self._ids = itertools.count(1)
        self._session = uuid.uuid4().hex[:8]  # ids unique across restarts and replicas

    def room(self, name: str) -> Room:
        room_id = f"{self.name}:{name}"
        if room_id not in self.rooms:
            self.rooms[room_id] = Room(id=room_id, name=name, direct=name.startswith("@"))
        return self.rooms[room_id]

    def message(
        self,
        text: str,
        user: str = "you",
        room: str = "lobby",
        event_id: str | None = None,
        thread: str | None = None,
    ) -> Message:
        """A message as a person writes it; ``thread`` is the id of the thread's root message.

        Its ``message_id`` (what edits and deletions name) is its event id.
        """
        where = self.room(room)
        event = event_id or f"evt-{self._session}-{next(self._ids)}"
        return Message(
            event_id=event,
            room=where,
            sender=self.user(user),
            text=text,
            thread=ThreadRef(room_id=where.id, id=thread) if thread else None,
            message_id=event,
        )

    def edited(self, message_id: str, text: str, user: str = "you", room: str = "lobby") -> MessageEdited:
        """A person changing a message they sent (``message_id``: its ``Message.message_id``)."""
        return MessageEdited(room=self.room(room), sender=self.user(user), message_id=message_id, text=text)

    def deletion(self, message_id: str, room: str = "lobby") -> MessageDeleted:
        """A message taken back."""
        return MessageDeleted(room=self.room(room), message_id=message_id)

    async def send(
        self, room_id: str, content: Content, thread: ThreadRef | None, idempotency_key: str | None = None
    ) -> MessageRef:
        name = self.rooms[room_id].name if room_id in self.rooms else room_id.split(":", 1)[1]
        self.sent.append(Sent(room=name, text=render_text(content), content=content, thread=thread))
        ref = MessageRef(room_id=room_id, id=str(next(self._ids)))
        self.refs.append(ref.id)
        return ref

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
        if private:
            room = self.rooms[room.id] = room.model_copy(update={"private": True})
        self.topics[room.id] = topic
        self.invited[name] = [u.id for u in invite]
        return room

    async def set_topic(self, room_id: str, topic: str) -> None:
        self.topics[room_id] = topic

    async def edit(self, ref: MessageRef, content: Content) -> None:
        self.edits.append((ref.id, render_text(content)))

    async def delete(self, ref: MessageRef) -> None:
        self.deleted.append(ref.id)

    async def pin(self, ref: MessageRef) -> None:
        self.pins.append(ref.id)

    async def invite(self, room_id: str, user: User) -> None:
        self.invited.setdefault(room_id.split(":", 1)[1], []).append(user.id)

    async def set_moderator(self, room_id: str, user: User, moderator: bool) -> None:
        holders = self.moderators.setdefault(room_id.split(":", 1)[1], set())
        (holders.add if moderator else holders.discard)(user.id)

    def sent_as(self, ref_id: str) -> Sent:
        """The sent message with this reference id."""
        return self.sent[self.refs.index(ref_id)]

    async def direct_room(self, user: User) -> Room:
        return self.room(f"@{user.name}")

    def resolve_mention(self, token: str) -> User | None:
        if not token.startswith("@") or len(token) < 2:
            return None
        return self.user(token[1:])

    async def open_form(self, ctx: CommandContext, form: Form) -> bool:
        self.forms.append((ctx.room.name, form))
        return True

    def topic(self, room: str) -> str:
        return self.topics.get(f"{self.name}:{room}", "")

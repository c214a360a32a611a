"""What a command handler gets: who said what, where, and how to answer."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from chatops.models.chat import Message, MessageRef, Room, User, thread_address
from chatops.models.content import Content

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.commands.declare import Command, Permission
    from chatops.transports.base import Transport


class UserError(Exception):
    """A refusal or a mistake the person can fix; the message is sent as the answer."""


class CommandContext:
    """One command invocation.  Plugins only reply, send, and read arguments."""

    __slots__ = ("app", "args", "command", "message", "transport")

    def __init__(self, app: App, message: Message, transport: Transport, command: Command) -> None:
        self.app = app
        self.message = message
        self.transport = transport
        self.command = command
        self.args: dict[str, Any] = {}

    @property
    def is_admin(self) -> bool:
        """Listed under ``admins`` in the config: every permission, every private incident."""
        return self.message.sender.id in self.app.dispatcher.admins

    @property
    def sender(self) -> User:
        return self.message.sender

    @property
    def room(self) -> Room:
        return self.message.room

    @property
    def place(self) -> str:
        """Where the command was typed: the room's id, or the thread's address inside a thread."""
        thread = self.message.thread
        return thread_address(thread) if thread else self.message.room.id

    def sees(self, place: str) -> bool:
        """Whether a message to ``place`` (a room or a thread address) is seen where the command was typed.

        True for the place itself, for the room a thread typed in belongs
        to (a command typed in a side thread of a room needs no echo there),
        and for the rooms bridged with it (they get a copy of every answer).
        """
        return place in (self.place, *self.app.bridges.rooms(self.message.room.id))

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    @property
    def tz(self) -> ZoneInfo:
        return self.app.tz

    async def reply(self, content: str | Content) -> MessageRef | None:
        """Answer in the room (and thread) the command came from."""
        return await self.app.outbound.send(self.message.room.id, content, self.message.thread)

    async def send_direct(self, user: User, content: str | Content) -> MessageRef | None:
        """Message a person directly (their DM with the bot)."""
        return await self.app.outbound.send_direct(user, content)

    async def require(self, permission: Permission) -> None:
        """Refuse (``UserError``) unless the sender holds a role ``permission`` allows here.

        For permissions a handler only knows once it runs (one per mitigation,
        say); a command's own ``permission=`` is checked before its handler.
        """
        refusal = await self.app.dispatcher.refusal(self, permission)
        if refusal is not None:
            raise UserError(refusal)

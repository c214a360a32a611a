"""Chat model: people, rooms, messages and references to them.

Every id is an opaque string prefixed by the transport (``console:alice``,
``matrix:!abc:example.org``) so that it can be stored in the database and
survive a restart.  No live SDK object ever appears here.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def transport_of(opaque_id: str) -> str:
    """The transport name an opaque id belongs to (``console:alice`` -> ``console``)."""
    return opaque_id.split(":", 1)[0]


class User(_Frozen):
    """A person (or bot) as a transport knows them."""

    id: str
    name: str

    @property
    def transport(self) -> str:
        return transport_of(self.id)


class Room(_Frozen):
    """A place where messages are exchanged: channel, room, or a direct chat."""

    id: str
    name: str
    direct: bool = False
    private: bool = False

    @property
    def transport(self) -> str:
        return transport_of(self.id)


class ThreadRef(_Frozen):
    """A thread inside a room, on transports that have threads."""

    room_id: str
    id: str


THREAD_MARK = "#thread="


def thread_address(thread: ThreadRef) -> str:
    """A thread as one string, usable wherever a room id is kept.

    A small incident may be worked in a thread of the channel it was declared
    in; storing the thread as its "room" lets every plugin that posts to an
    incident's room reach the thread without knowing about threads.
    ``Outbound`` splits the address again before a transport sees it.
    """
    return f"{thread.room_id}{THREAD_MARK}{thread.id}"


def split_address(address: str) -> tuple[str, ThreadRef | None]:
    """A room id or a thread address -> the room id and the thread (None for a room)."""
    room_id, mark, thread_id = address.partition(THREAD_MARK)
    return room_id, ThreadRef(room_id=room_id, id=thread_id) if mark else None


def is_thread_address(address: str) -> bool:
    return THREAD_MARK in address


class MessageRef(_Frozen):
    """A message already posted, for editing, pinning or replying in its thread."""

    room_id: str
    id: str


class Message(_Frozen):
    """One inbound message.

    ``event_id`` is the platform's own id for the event; a transport that
    delivers the same event twice gives the same ``event_id`` and the
    dispatcher handles it once.
    """

    event_id: str
    room: Room
    sender: User
    text: str
    thread: ThreadRef | None = None
    # The platform's id of the message (as threads, edits and deletions refer to it), where it
    # is a message at all (not a button pressed); and what was typed, where ``text`` is the
    # command made of it (a mention of the bot turned into the prefix): bridged rooms mirror these.
    message_id: str | None = None
    said: str | None = None


class MessageEdited(_Frozen):
    """A person changed a message they had sent (delivered only from bridged rooms)."""

    room: Room
    sender: User
    message_id: str
    text: str


class MessageDeleted(_Frozen):
    """A message was taken back (delivered only from bridged rooms)."""

    room: Room
    message_id: str


class Capabilities(_Frozen):
    """What a transport can do.  Plugins ask this instead of naming platforms."""

    threads: bool = False
    buttons: bool = False
    modals: bool = False
    edits: bool = False
    reactions: bool = False
    native_commands: bool = False
    ephemeral: bool = False
    create_rooms: bool = True
    pins: bool = False
    topics: bool = True
    direct_messages: bool = True
    markdown: bool = False
    deletes: bool = False
    # Receives every message typed in its rooms, not only commands (Discord: the message
    # content intent): needed to mirror a room into bridged ones.
    reads_messages: bool = True
    end_to_end_encrypted: bool = False

"""Bridged rooms: rooms on several platforms that are one conversation.

A bridge is a set of rooms (one per platform, usually).  What the bot says
in one room of a bridge it says in all of them: ``Outbound`` fans every
message out as outbox rows sharing a ``copies`` key, so an edit of one is
an edit of all.  What a person types in one room is mirrored into the
others with their name and platform (``mirror``); their edits and
deletions follow (``edited``, ``deleted``).

Loops cannot happen: transports never deliver the bot's own messages, and
every copy is the bot's.  Each copy is sent once, even across a restart or
a platform delivering the same message twice: it is an outbox row whose
``(copies, room_id)`` is unique, sent with an idempotency key derived from
the message it copies.

The host knows nothing of incidents: a plugin decides which rooms to link
(``link``); ``bridging.enabled`` in the config opts a deployment in.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from chatops.models.chat import Message, MessageDeleted, MessageEdited, MessageRef, ThreadRef, transport_of
from chatops.models.content import Content, Text, to_json
from chatops.storage.tables import outbox, room_links
from chatops.storage.upsert import upsert

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx
    from chatops.transports.base import Transport

log = logging.getLogger("chatops.bridges")


COPY_OF = "copy-of:"  # a thread id standing for the copy (in the same room) of a message not yet sent


def said_key(room_id: str, message_id: str) -> str:
    """The ``copies`` key of the mirrors of a person's message."""
    return f"said:{room_id}:{message_id}"


def author_tag(user_id: str) -> str:
    """The outbox tag of a mirrored message: who wrote it."""
    return f"by:{user_id}"


def mirrored(author: str, platform: str, text: str) -> Content:
    """How a person's message reads in the other rooms of its bridge."""
    return Content((Text((f"{author} ({platform}): {text}",)),))


class Bridges:
    def __init__(self, app: App) -> None:
        self.app = app
        self._bridge_of: dict[str, str] = {}  # room id -> bridge id
        self._rooms: dict[str, list[str]] = {}  # bridge id -> its rooms, in the order linked

    @property
    def enabled(self) -> bool:
        return self.app.config.core.bridging.enabled

    async def load(self) -> None:
        """Read the links (when starting to serve: another replica may have made some)."""
        async with self.app.db.read() as conn:
            rows = (await conn.execute(select(room_links).order_by(room_links.c.linked_at))).all()
        self._bridge_of, self._rooms = {}, {}
        for row in rows:
            self._remember(row.room_id, row.bridge)

    def _remember(self, room_id: str, bridge: str) -> None:
        if self._bridge_of.get(room_id) == bridge:
            return
        self._bridge_of[room_id] = bridge
        self._rooms.setdefault(bridge, []).append(room_id)

    def bridged(self, room_id: str) -> bool:
        """Whether the room is part of a bridge (transports deliver every message typed there).

        Nothing is bridged while ``bridging.enabled`` is off, even rooms linked before.
        """
        return room_id in self._bridge_of and self.enabled

    def rooms(self, room_id: str) -> list[str]:
        """Every room of the room's bridge, the room itself included ([room_id] when not bridged)."""
        bridge = self._bridge_of.get(room_id) if self.enabled else None
        return list(self._rooms[bridge]) if bridge is not None else [room_id]

    def siblings(self, room_id: str) -> list[str]:
        """The other rooms of the room's bridge."""
        return [r for r in self.rooms(room_id) if r != room_id]

    def refusal(self, transport: Transport, encrypted_origin: bool) -> str | None:
        """Why a room on ``transport`` may not join a bridge, or None when it may."""
        if not self.enabled:
            return "Bridging is off in this deployment: set `bridging: {enabled: true}` in the config."
        if not transport.capabilities.reads_messages:
            return (
                f"{transport.label} does not give me the messages typed there, so a bridge would be "
                f"one-way: enable the message content intent (transports.{transport.name}.text_commands: "
                "true, and in the platform's developer settings)."
            )
        if encrypted_origin and not transport.capabilities.end_to_end_encrypted:
            if not self.app.config.core.bridging.allow_unencrypted:
                return (
                    f"This room is end-to-end encrypted and {transport.label} is not: I won't copy it "
                    "there. An admin can allow it with `bridging: {allow_unencrypted: true}`."
                )
        return None

    async def plain_copy_refused(self, source: str, target: str) -> bool:
        """Whether a copy from ``source`` to ``target`` would put end-to-end encrypted words in a room
        without it (checked for every copy: a room may turn encryption on after it was bridged)."""
        if self.app.config.core.bridging.allow_unencrypted:
            return False
        source_transport = self.app.transports.get(transport_of(source))
        target_transport = self.app.transports.get(transport_of(target))
        if source_transport is None or not await source_transport.encrypted(source):
            return False
        return target_transport is None or not await target_transport.encrypted(target)

    async def link(self, tx: Tx, room_id: str, other: str) -> None:
        """Put ``other`` in ``room_id``'s bridge (making one if needed), in ``tx``.

        The bridge is read in the transaction, not from memory: two links made at once join one bridge.
        """
        stored = await tx.conn.scalar(select(room_links.c.bridge).where(room_links.c.room_id == room_id))
        bridge = str(stored) if stored else f"b{uuid.uuid4().hex[:16]}"
        now = self.app.clock.now()
        for room in (room_id, other):
            await upsert(tx, room_links, {"room_id": room, "bridge": bridge, "linked_at": now}, ["room_id"])

        async def remember() -> None:
            self._remember(room_id, bridge)
            self._remember(other, bridge)

        tx.after_commit(remember)

    # --- the bot's messages, copied ---

    async def thread_in(
        self, conn: Any, room_id: str, thread: ThreadRef | None, target: str
    ) -> ThreadRef | None:
        """The thread in ``target`` that mirrors ``thread`` of ``room_id`` (None: none, or not yet sent).

        A platform without threads gets the message in the room itself.
        """
        transport = self.app.transports.get(transport_of(target))
        if thread is None or transport is None or not transport.capabilities.threads:
            return None
        key = await self._copies_key(conn, room_id, thread.id)
        if key.startswith(said_key(target, "")):  # the root is a copy of a message written in target
            return ThreadRef(room_id=target, id=key.removeprefix(said_key(target, "")))
        copy = (
            await conn.execute(
                select(outbox.c.message_id).where(outbox.c.copies == key, outbox.c.room_id == target)
            )
        ).first()
        if copy is None:
            return None
        # A root not sent yet (it is, before this copy: rows go in order) is found when this one goes.
        return ThreadRef(room_id=target, id=str(copy.message_id or f"{COPY_OF}{key}"))

    async def sent_thread(
        self, thread: ThreadRef, just_sent: dict[tuple[str, str], str] | None = None
    ) -> ThreadRef | None:
        """A thread whose root was a copy not yet sent when a message in it was stored: that copy now
        (``just_sent``: the copies a delivery pass has sent but not yet marked)."""
        if not thread.id.startswith(COPY_OF):
            return thread
        key = thread.id.removeprefix(COPY_OF)
        found: Any = (just_sent or {}).get((key, thread.room_id))
        if found is None:
            async with self.app.db.read() as conn:
                found = await conn.scalar(
                    select(outbox.c.message_id).where(
                        outbox.c.copies == key, outbox.c.room_id == thread.room_id
                    )
                )
        return ThreadRef(room_id=thread.room_id, id=str(found)) if found else None

    @staticmethod
    async def _copies_key(conn: Any, room_id: str, message_id: str) -> str:
        """The key the copies of a message share: the bot's fan-out, or a person's message mirrored."""
        found = await conn.scalar(
            select(outbox.c.copies).where(
                outbox.c.room_id == room_id, outbox.c.message_id == message_id, outbox.c.copies.is_not(None)
            )
        )
        return str(found) if found else said_key(room_id, message_id)

    async def copies_of(self, ref: MessageRef, content: Content | None = None) -> list[MessageRef]:
        """The sent copies of a message in the other rooms of its bridge.

        With ``content`` (an edit), copies not sent yet are changed to it first.
        """
        if not self.bridged(ref.room_id):
            return []
        async with self.app.db.read() as conn:
            key = await self._copies_key(conn, ref.room_id, ref.id)
        if content is not None:
            await self._change_unsent(key, content)
        return [c for c in await self._sent(key) if c != ref]

    async def _change_unsent(self, key: str, content: Content, author: str | None = None) -> None:
        query = update(outbox).where(outbox.c.copies == key, outbox.c.sent_at.is_(None))
        if author is not None:
            query = query.where(outbox.c.tag == author)
        await self.app.db.write(lambda tx: tx.execute(query.values(content=to_json(content))))

    async def record_copy(self, tx: Tx, original: MessageRef, copy: MessageRef) -> None:
        """Remember ``copy`` (sent on its own, e.g. to a room as it joins the bridge) as a copy of
        ``original``: edits of the original then reach it."""
        key = await tx.conn.scalar(
            select(outbox.c.copies).where(
                outbox.c.room_id == original.room_id,
                outbox.c.message_id == original.id,
                outbox.c.copies.is_not(None),
            )
        )
        if key is None:
            key = f"f{uuid.uuid4().hex}"
            await self._sent_row(tx, original, key)
        await self._sent_row(tx, copy, str(key))

    async def _sent_row(self, tx: Tx, ref: MessageRef, key: str) -> None:
        """An outbox row for a message sent outside it: a record of where the message is, never sent."""
        now = self.app.clock.now()
        row = {
            "room_id": ref.room_id,
            "content": to_json(Content(())),
            "created_at": now,
            "sent_at": now,
            "attempts": 0,
            "message_id": ref.id,
            "copies": key,
        }
        await upsert(tx, outbox, row, ["copies", "room_id"])

    # --- people's messages, mirrored ---

    async def mirror(self, message: Message) -> None:
        """Copy what a person typed in a bridged room into the bridge's other rooms, once each."""
        targets = self.siblings(message.room.id)
        if not targets or not self.enabled:
            return
        transport = self.app.transports.get(message.room.transport)
        platform = transport.label if transport else message.room.transport
        source = message.message_id or message.event_id
        key = said_key(message.room.id, source)
        content = to_json(mirrored(message.sender.name, platform, message.said or message.text))

        targets = [t for t in targets if not await self.plain_copy_refused(message.room.id, t)]

        async def store(tx: Tx) -> None:
            for target in targets:
                thread = await self.thread_in(tx.conn, message.room.id, message.thread, target)
                row = {
                    "room_id": target,
                    "thread_id": thread.id if thread else None,
                    "content": content,
                    "created_at": self.app.clock.now(),
                    "attempts": 0,
                    "copies": key,
                    "tag": author_tag(message.sender.id),  # only its author's edits follow
                    "idempotency_key": f"m{uuid.uuid5(uuid.NAMESPACE_URL, f'{key}>{target}').hex[:24]}",
                }
                await upsert(tx, outbox, row, ["copies", "room_id"])
            tx.after_commit(self.app.outbound.kick)  # the inbound handler does not wait on other platforms

        await self.app.db.write(store)

    async def edited(self, edit: MessageEdited) -> None:
        """A person edited a mirrored message: its copies say the new text (unsent ones are changed).

        Never raises (transports call it from their receive loops): a failure is logged.
        """
        if not self.bridged(edit.room.id) or not self.enabled:
            return
        try:
            await self._edited(edit)
        except Exception:
            log.exception("an edit in %s could not follow into its bridge", edit.room.id)

    async def _edited(self, edit: MessageEdited) -> None:
        transport = self.app.transports.get(edit.room.transport)
        platform = transport.label if transport else edit.room.transport
        content = mirrored(edit.sender.name, platform, edit.text)
        key = said_key(edit.room.id, edit.message_id)
        # Only the author's own edits (Matrix lets anyone send a replacement event; clients ignore
        # one from someone else, and so do the copies).
        author = author_tag(edit.sender.id)
        await self._change_unsent(key, content, author)
        for copy in await self._sent(key, author):
            await self.app.outbound.edit(copy, content, alone=True)

    async def deleted(self, deletion: MessageDeleted) -> None:
        """A person deleted a mirrored message: its copies go too (unsent ones are never sent).

        Never raises: a failure is logged.
        """
        if not self.bridged(deletion.room.id) or not self.enabled:
            return
        try:
            await self._deleted(deletion)
        except Exception:
            log.exception("a deletion in %s could not follow into its bridge", deletion.room.id)

    async def _deleted(self, deletion: MessageDeleted) -> None:
        key = said_key(deletion.room.id, deletion.message_id)
        # Unsent copies are marked done without a message: their key stays taken, so a platform
        # delivering the original again cannot bring the copies back.
        await self.app.db.write(
            lambda tx: tx.execute(
                update(outbox)
                .where(outbox.c.copies == key, outbox.c.sent_at.is_(None))
                .values(sent_at=self.app.clock.now())
            )
        )
        for copy in await self._sent(key):
            await self.app.outbound.delete(copy)

    async def _sent(self, key: str, author: str | None = None) -> list[MessageRef]:
        query = select(outbox.c.room_id, outbox.c.message_id).where(
            outbox.c.copies == key, outbox.c.message_id.is_not(None)
        )
        if author is not None:
            query = query.where(outbox.c.tag == author)
        async with self.app.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [MessageRef(room_id=r.room_id, id=r.message_id) for r in rows]

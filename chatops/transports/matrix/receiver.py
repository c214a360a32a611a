"""Inbound Matrix: the sync loop, and the handling of what it brings, in order.

The loop long-polls and queues each batch's commands; a consumer handles the
batches in order (rooms in parallel, each room's messages in order) and saves
the sync token after each batch it handled, so a restart neither replays
history nor misses what was said while the bot was down.  The loop polls
again once the batch it brought is handled, as a plain bot would, unless a
handler is itself waiting for the next sync (a room it has just created must
be known before nio sends into it): then it polls at once, so such a command
cannot stall the loop that brings what it waits for.  In a bridged room every
message is delivered (the core mirrors it), and edits and redactions follow
in the room's order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from nio import (
    ErrorResponse,
    InviteMemberEvent,
    MegolmEvent,
    ReactionEvent,
    RedactionEvent,
    RoomMessageText,
    SyncResponse,
)

from chatops.models.chat import Message, MessageDeleted, MessageEdited, ThreadRef
from chatops.transports.matrix import crypto, inbound

if TYPE_CHECKING:
    from nio import AsyncClient

    from chatops.transports.matrix.transport import MatrixTransport

log = logging.getLogger("chatops.matrix")
Inbound = Message | MessageEdited | MessageDeleted  # what a room's line carries


class Receiver:
    def __init__(self, transport: MatrixTransport, client: AsyncClient) -> None:
        self.transport = transport
        self.client = client
        self.settings = transport.settings
        self.bot_id = transport.bot_id
        self.synced = asyncio.Event()  # set after each handled batch
        self.caught_up = asyncio.Event()  # set once the first (full-state) sync is in
        self._batch = asyncio.Lock()
        self._batches: asyncio.Queue[tuple[list[list[Inbound]], str]] = asyncio.Queue()
        self._rooms_changed = asyncio.Condition()
        self._flow = asyncio.Condition()  # the sync loop waits here for handling to catch up
        self._busy = False  # the consumer is handling a batch
        self._sync_wanted = 0  # handlers waiting for the next sync
        self._undecryptable = crypto.Undecryptable()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, since: str) -> None:
        name = self.transport.name
        self._tasks = [
            asyncio.create_task(self._consume(), name=f"{name}-handle"),
            asyncio.create_task(self._sync_forever(since), name=f"{name}-sync"),
        ]

    async def stop(self) -> None:
        if not self._tasks:
            return
        consumer, syncer = self._tasks
        syncer.cancel()
        await asyncio.gather(syncer, return_exceptions=True)
        async with self._batch:  # let the batch in hand finish: its cursor must follow it
            consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        self._tasks = []

    async def known(self, room_id: str) -> None:
        """Wait until a sync has brought a new room (nio sends only into rooms it has synced)."""
        async with self._flow:
            self._sync_wanted += 1
            self._flow.notify_all()
        try:
            async with self._rooms_changed:
                await asyncio.wait_for(self._rooms_changed.wait_for(lambda: room_id in self.client.rooms), 60)
        finally:
            self._sync_wanted -= 1

    async def _sync_forever(self, since: str) -> None:
        full_state = True  # nio keeps no room state across restarts: fetch it once
        delay = 1.0
        while True:
            try:
                response = await self.client.sync(timeout=30000, since=since, full_state=full_state)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Matrix sync failed; retrying in %.0f s", delay)
                response = None
            if not isinstance(response, SyncResponse):
                if response is not None:
                    log.warning("Matrix sync refused (%s); retrying in %.0f s", response, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.reconnect_max_wait_s)
                continue
            delay, full_state = 1.0, False
            try:
                await crypto.housekeeping(self.client)
                await self.accept_invites(response)
                messages = await self._read(response)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading a Matrix sync batch failed; skipping it")
                messages = []
            async with self._rooms_changed:
                self._rooms_changed.notify_all()
            self.caught_up.set()
            since = response.next_batch
            await self._batches.put((messages, since))
            if messages:
                # Poll again once these commands are handled (their replies sent): a long-poll
                # left open while replying makes the homeserver wake two syncs for each reply,
                # which is what the responder waits on.  Unless a handler needs the next sync
                # itself (a room it has just created): then poll at once.
                async with self._flow:
                    await self._flow.wait_for(
                        lambda: (self._batches.empty() and not self._busy) or self._sync_wanted
                    )

    async def _consume(self) -> None:
        """Handle queued batches in order; save the cursor after each one that carried commands."""
        app, name = self.transport.app, self.transport.name
        saved_at = time.monotonic()
        while True:
            messages, since = await self._batches.get()
            self._busy = True
            async with self._batch:
                await asyncio.gather(*(self._handle_room(room) for room in messages))
                # A batch with nothing for us (typically the echo of our own answer) needs no
                # write of its own: replaying it after a crash is harmless.  Save once a minute anyway.
                now = time.monotonic()
                if messages or now - saved_at > 60:
                    await app.cursors.save(name, since)
                    saved_at = now
            self.synced.set()
            async with self._flow:
                self._busy = False
                self._flow.notify_all()

    async def _handle_room(self, items: list[Inbound]) -> None:
        bridges = self.transport.app.bridges
        for item in items:  # none of these raises: each answers or logs
            if isinstance(item, Message):
                await self.transport.app.dispatcher.handle(item)
            elif isinstance(item, MessageEdited):
                await bridges.edited(item)
            else:
                await bridges.deleted(item)

    async def _read(self, response: SyncResponse) -> list[list[Inbound]]:
        """What a batch brings, per room in order (plus late decryptions of earlier messages)."""
        per_room: dict[str, list[Inbound]] = {}
        for room_id, event in self._undecryptable.retry(self.client):
            item = self.inbound(room_id, event)
            if item is not None:
                per_room.setdefault(room_id, []).append(item)
        for room_id, info in response.rooms.join.items():
            for event in info.timeline.events:
                if isinstance(event, MegolmEvent):
                    await self._cannot_read(room_id, event)
                    continue
                item = self.inbound(room_id, event)
                if item is not None:
                    per_room.setdefault(room_id, []).append(item)
        return list(per_room.values())

    async def _cannot_read(self, room_id: str, event: MegolmEvent) -> None:
        """Keep an undecryptable event for when its key arrives; say so once per session."""
        if event.sender == self.bot_id or not self._undecryptable.add(room_id, event):
            return
        try:
            await self.client.request_room_key(event)
        except Exception:  # already requested
            log.debug("room key request for %s not sent", event.session_id)
        transport = self.transport
        await transport.app.outbound.send(
            transport.opaque(room_id),
            f"🔒 I can't decrypt a message from @{transport.user_of(event.sender).name} yet: its key has "
            "not reached me. I will answer once it arrives; if I don't, make sure your client shares keys "
            "with unverified devices (or verify mine) and send it again.",
        )

    async def accept_invites(self, response: SyncResponse) -> None:
        for room_id, info in response.rooms.invite.items():
            inviter = next(
                (
                    e.sender
                    for e in info.invite_state
                    if isinstance(e, InviteMemberEvent)
                    and e.state_key == self.bot_id
                    and e.membership == "invite"
                ),
                None,
            )
            if inviter is not None and self._may_invite(inviter):
                joined = await self.client.join(room_id)
                if isinstance(joined, ErrorResponse):
                    log.warning("could not join %s: %s", room_id, joined.message)
            else:
                log.info("ignoring invite to %s from %s (not in auto_join_users/servers)", room_id, inviter)

    def _may_invite(self, inviter: str) -> bool:
        settings = self.settings
        return inviter in settings.auto_join_users or inviter.split(":", 1)[-1] in settings.auto_join_servers

    def inbound(self, room_id: str, event: Any) -> Inbound | None:
        """What an event means to chatops: a command, a message of a bridged room, its edit or
        redaction; None for anything else (and for everything the bot itself sent)."""
        if getattr(event, "sender", None) == self.bot_id:
            return None
        transport = self.transport
        if isinstance(event, ReactionEvent):
            button = transport.buttons.get(event.reacts_to, {}).get(event.key)
            if button is None:
                return None
            return Message(
                event_id=event.event_id,
                room=transport.room_of(room_id),
                sender=transport.user_of(event.sender),
                text=button.command,
            )
        bridged = transport.app.bridges.bridged(transport.opaque(room_id))
        if isinstance(event, RedactionEvent):
            return (
                MessageDeleted(room=transport.room_of(room_id), message_id=event.redacts) if bridged else None
            )
        if not isinstance(event, RoomMessageText):
            return None
        content = event.source.get("content", {})
        if inbound.is_edit(content):
            return self._edit(room_id, event.sender, content) if bridged else None  # never run again
        plain = inbound.plain_text(content)
        text = inbound.command_text(plain, transport.prefix, self.bot_id, (self.bot_id[1:].split(":", 1)[0],))
        if text is None and not bridged:
            return None
        said = self._said(content)
        root = inbound.thread_root(content)
        return Message(
            event_id=event.event_id,
            room=transport.room_of(room_id),
            sender=transport.user_of(event.sender),
            text=text or said,
            thread=ThreadRef(room_id=transport.opaque(room_id), id=root) if root else None,
            message_id=event.event_id,
            said=said,
        )

    def _edit(self, room_id: str, sender: str, content: dict[str, Any]) -> MessageEdited | None:
        replaced = inbound.replacement(content)
        if replaced is None:
            return None
        target, new = replaced
        transport = self.transport
        return MessageEdited(
            room=transport.room_of(room_id),
            sender=transport.user_of(sender),
            message_id=target,
            text=self._said(new),
        )

    def _said(self, content: dict[str, Any]) -> str:
        return inbound.said_text(content, lambda mxid: self.transport.user_of(mxid).name)

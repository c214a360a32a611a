"""Outbound messages: one ordered queue per room, and a durable outbox.

Replies go straight to the transport under a per-room lock, which keeps a
room's messages in order without a queue hop on the hot path.  Messages
that must survive a crash (reminders, announcements made by timers) are
``queue``d as outbox rows inside the caller's transaction and delivered
after its commit; rows still unsent at start-up are delivered then.  The
window left: a crash after the transport accepted a message and before
its row is marked sent delivers it again after restart — except where the
platform deduplicates by the row's idempotency key (Matrix transaction ids;
Discord nonces, for a few minutes).  Slack has no such key.

Outbox rows go out in one lane per platform, so a platform that hangs holds
up only its own rooms.  A room bridged with others (``chatops.bridges``)
sends everything through the outbox: one row per room of the bridge.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from sqlalchemy import insert, select, update

from chatops.models.chat import MessageRef, ThreadRef, User, split_address, transport_of
from chatops.models.content import Content, as_content, from_json, to_json
from chatops.storage.tables import outbox

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

log = logging.getLogger("chatops.outbound")
MAX_ATTEMPTS = 20
# One attempt at one outbox message; past it the platform counts as down for this pass (a client
# library may retry a dead server forever).  The idempotency key makes a late success harmless
# where the platform has one (not Slack).
DELIVERY_TIMEOUT_S = 30.0
UNREACHABLE = (TimeoutError, OSError, aiohttp.ClientConnectionError)  # worth trying again later


class Outbound:
    def __init__(self, app: App) -> None:
        self.app = app
        self._locks: dict[str, asyncio.Lock] = {}
        self._lanes: dict[str, asyncio.Lock] = {}  # one delivery lane per platform
        self._again: set[str] = set()  # platforms whose rows were queued while their pass was under way
        self._blocked: set[str] = set()  # rooms whose outbox rows the last pass could not send
        self._storing: Counter[str] = Counter()  # messages per room being stored for the outbox
        self._storing_tasks: set[asyncio.Task[None]] = set()
        self._retry: asyncio.Task[None] | None = None
        self._edits: dict[tuple[str, str], Content] = {}
        self._when_sent: list[tuple[str, Callable[[str], Awaitable[None]]]] = []
        self._awaited: dict[int, asyncio.Future[MessageRef | None]] = {}  # outbox rows a send waits on
        self._kicks: set[asyncio.Task[None]] = set()
        self._delivered: OrderedDict[int, MessageRef] = OrderedDict()  # recent rows sent, for late waiters

    def _lock(self, room_id: str) -> asyncio.Lock:
        lock = self._locks.get(room_id)
        if lock is None:
            lock = self._locks[room_id] = asyncio.Lock()
        return lock

    async def send(
        self, room_id: str, content: str | Content, thread: ThreadRef | None = None, *, keep: bool = True
    ) -> MessageRef | None:
        """Send now, in order with the room's other messages.  Failures are logged, not raised.

        ``room_id`` may be a thread address (``thread_address``): the message goes in that thread.
        With ``keep=False`` a message that cannot go now is dropped (None) instead of
        waiting in the outbox: for one whose reference the caller needs at once (the
        root of a thread), which would be an orphan if it went later.

        When the platform cannot be reached (no answer within the bound, a
        refused connection, or the caller cancelled mid-send), the message
        becomes an outbox row, with the idempotency key of the attempt, and
        goes out in order once the platform is back; the room's later messages
        queue behind it.  A message the platform refuses is not retried.
        """
        room_id, in_thread = split_address(room_id)
        thread = thread or in_thread
        transport = self.app.transports.get(transport_of(room_id))
        if transport is None:
            log.error("no transport for room %s", room_id)
            return None
        body = as_content(content)
        if self.app.bridges.bridged(room_id):
            return await self._send_bridged(room_id, body, thread)
        key = f"d{uuid.uuid4().hex[:20]}"  # kept if the message must wait in the outbox
        async with self._lock(room_id):
            if not self._waiting(room_id):
                try:
                    async with asyncio.timeout(self._direct_timeout_s()):
                        return await transport.send(room_id, body, thread, key)
                except UNREACHABLE as exc:
                    if not keep:
                        log.error("sending to %s failed (%r); not kept", room_id, exc)
                        return None
                    log.error("sending to %s failed (%r); it waits in the outbox", room_id, exc)
                except asyncio.CancelledError:  # e.g. the plugin timed out: keep its answer anyway
                    if not keep:
                        raise
                    self._storing[room_id] += 1
                    storing = asyncio.create_task(self._store(room_id, body, thread, key))
                    self._storing_tasks.add(storing)
                    storing.add_done_callback(self._storing_tasks.discard)
                    raise
                except Exception:
                    log.exception("sending to %s failed", room_id)
                    return None
            if not keep:
                return None  # earlier messages wait in the outbox: this one cannot overtake them
            self._storing[room_id] += 1  # before the lock is let go: the next send queues behind
        await self._store(room_id, body, thread, key)
        return None

    async def _send_bridged(self, room_id: str, body: Content, thread: ThreadRef | None) -> MessageRef | None:
        """To every room of the bridge, as outbox rows: each room's messages stay in one order, and a
        copy waits for a platform that is down.  The caller gets the message in ``room_id`` if it is
        sent within the direct bound (later it still goes, in order); a platform that hangs holds up
        only its own rooms (``_pass`` delivers each platform's rows apart)."""
        rows: list[int] = []

        async def store(tx: Tx) -> None:
            rows[:] = [await self._insert_copies(tx, room_id, body, thread, tag=None, key=None, kick=False)]

        try:
            await self.app.db.write(store)
        except Exception:
            log.exception("a message to %s could not be stored for its bridge", room_id)
            return None
        if not self.app.serving:
            return None  # a standby replica or a one-off command: the serving process delivers
        row_id = rows[0]
        sent: asyncio.Future[MessageRef | None] = asyncio.get_running_loop().create_future()
        self._awaited[row_id] = sent  # registered after the commit: a retried write job leaves no stale id
        try:
            async with asyncio.timeout(self._direct_timeout_s()):
                await self.kick()
                # Another pass may have sent it before the future was registered.
                return self._delivered.get(row_id) or await asyncio.shield(sent)
        except TimeoutError:
            log.error("a message to bridged room %s waits in the outbox", room_id)
            return None
        finally:
            self._awaited.pop(row_id, None)

    async def kick(self) -> None:
        """Start delivering what waits, without waiting for it (an inbound handler must not wait on
        another platform); under a fake clock, deliver before returning (tests see the outcome)."""
        if self.app.clock.fake:
            await self.deliver_pending()
            return
        task = asyncio.create_task(self.deliver_pending(), name="outbox-kick")
        self._kicks.add(task)
        task.add_done_callback(self._kicks.discard)

    async def _insert_copies(
        self,
        tx: Tx,
        room_id: str,
        body: Content,
        thread: ThreadRef | None,
        *,
        tag: str | None,
        key: str | None,
        kick: bool = True,
    ) -> int:
        """One outbox row per room of the bridge, sharing a ``copies`` key; the id of ``room_id``'s row."""
        copies = f"f{uuid.uuid4().hex}"
        content = to_json(body)
        first = 0
        for target in self.app.bridges.rooms(room_id):
            if target != room_id and await self.app.bridges.plain_copy_refused(room_id, target):
                continue
            in_thread = thread
            if target != room_id:
                in_thread = await self.app.bridges.thread_in(tx.conn, room_id, thread, target)
            result = await tx.execute(
                insert(outbox).values(
                    room_id=target,
                    thread_id=in_thread.id if in_thread else None,
                    content=content,
                    created_at=self.app.clock.now(),
                    attempts=0,
                    tag=tag,
                    idempotency_key=key if target == room_id else None,
                    copies=copies,
                )
            )
            if target == room_id:
                first = int(result.inserted_primary_key[0])
        if kick:
            tx.after_commit(self.kick)
        return first

    def _direct_timeout_s(self) -> float:
        """Below the plugin timeout, so a command's answer is stored rather than cancelled."""
        return min(DELIVERY_TIMEOUT_S, self.app.config.core.hook_timeout_s / 2)

    def _waiting(self, room_id: str) -> bool:
        """Whether earlier messages of the room wait in the outbox (a send must queue behind)."""
        return room_id in self._blocked or self._storing[room_id] > 0

    async def _store(self, room_id: str, body: Content, thread: ThreadRef | None, key: str) -> None:
        try:
            await self.app.db.write(lambda tx: self.queue(tx, room_id, body, thread, key=key))
        except Exception:
            log.exception("a message to %s could not be sent or stored", room_id)
        finally:
            self._storing[room_id] -= 1
            if not self._storing[room_id]:
                del self._storing[room_id]
        await self.deliver_pending()  # a pass settles whether the room still waits

    async def edit(self, ref: MessageRef, content: str | Content, *, alone: bool = False) -> None:
        """Replace a message's content, in order with the room's sends.  Failures are logged.

        Edits of one message that pile up while its room is busy (or rate limited)
        are coalesced: the latest content is sent once and every caller returns.
        Where the transport cannot edit, nothing happens.  The copies of a message in bridged
        rooms are edited too (``alone``: only this one).
        """
        room_id, _ = split_address(ref.room_id)
        ref = MessageRef(room_id=room_id, id=ref.id)
        if not alone:
            for copy in await self.app.bridges.copies_of(ref, as_content(content)):
                await self.edit(copy, content, alone=True)
        transport = self.app.transports.get(transport_of(room_id))
        if transport is None:
            log.error("no transport for room %s", room_id)
            return
        if not transport.capabilities.edits:
            return  # the platform keeps messages as sent; callers post news that matters anew
        key = (ref.room_id, ref.id)
        self._edits[key] = as_content(content)
        async with self._lock(ref.room_id):
            latest = self._edits.pop(key, None)
            if latest is None:
                return  # an earlier caller already sent this or newer content
            try:
                await transport.edit(ref, latest)
            except Exception:
                log.exception("editing %s in %s failed", ref.id, ref.room_id)

    async def delete(self, ref: MessageRef) -> None:
        """Take a message back, in order with the room's sends (capability ``deletes``).  Logs failures."""
        transport = self.app.transports.get(transport_of(ref.room_id))
        if transport is None or not transport.capabilities.deletes:
            return
        async with self._lock(ref.room_id):
            try:
                await transport.delete(ref)
            except Exception:
                log.exception("deleting %s in %s failed", ref.id, ref.room_id)

    async def send_direct(self, user: User, content: str | Content) -> MessageRef | None:
        transport = self.app.transports.get(user.transport)
        if transport is None:
            log.error("no transport for user %s", user.id)
            return None
        room = await transport.direct_room(user)
        return await self.send(room.id, content)

    async def queue(
        self,
        tx: Tx,
        room_id: str,
        content: str | Content,
        thread: ThreadRef | None = None,
        *,
        tag: str | None = None,
        to_user: User | None = None,
        key: str | None = None,
    ) -> None:
        """Store a message in ``tx``; it is sent once the transaction commits.

        With ``to_user`` it goes to that person's direct room (``room_id`` is then
        their user id, which keeps their messages in order).  ``tag`` finds the
        sent messages again (``sent_with_tag``), e.g. to edit a page once acknowledged.
        ``room_id`` may be a thread address (``thread_address``).
        """
        room_id, in_thread = split_address(room_id)
        thread = thread or in_thread
        if to_user is None and self.app.bridges.bridged(room_id):
            await self._insert_copies(tx, room_id, as_content(content), thread, tag=tag, key=key)
            return
        await tx.execute(
            insert(outbox).values(
                room_id=room_id,
                thread_id=thread.id if thread else None,
                content=to_json(as_content(content)),
                created_at=self.app.clock.now(),
                attempts=0,
                tag=tag,
                to_user=f"{to_user.id}\n{to_user.name}" if to_user else None,
                idempotency_key=key,
            )
        )
        tx.after_commit(self.deliver_pending)

    async def sent_with_tag(self, tag: str) -> list[MessageRef]:
        """The messages queued with ``tag`` that have gone out, oldest first (copies in bridged rooms
        once: ``edit`` reaches them)."""
        async with self.app.db.read() as conn:
            rows = (
                await conn.execute(
                    select(outbox.c.room_id, outbox.c.message_id, outbox.c.copies)
                    .where(outbox.c.tag == tag, outbox.c.message_id.is_not(None))
                    .order_by(outbox.c.id)
                )
            ).all()
        # One per message: an edit of the first of a bridge's copies is an edit of them all.
        seen: set[str] = set()
        found: list[MessageRef] = []
        for row in rows:
            if row.copies is not None and row.copies in seen:
                continue
            if row.copies is not None:
                seen.add(row.copies)
            found.append(MessageRef(room_id=row.room_id, id=row.message_id))
        return found

    async def deliver_pending(self) -> None:
        """Send every unsent outbox row, oldest first, marking each.

        Each platform has its own lane: a platform that hangs or rate limits holds up
        its own rooms, never another platform's (copies in bridged rooms would otherwise
        wait on the slowest platform).  A room whose message fails is skipped for the
        rest of the pass, so its later messages never overtake it; on a real clock the
        pass is then retried with backoff until everything is out, and a row is given
        up after ``MAX_ATTEMPTS``.

        While a lane's pass is under way, a caller does not wait behind it (a platform
        that is down would hold up every writer that queued a message): the pass
        under way goes round once more for the rows it has not seen.
        """
        if not self.app.serving:
            return  # a standby replica or a one-off command: the serving process delivers
        waiting = await asyncio.gather(*(self._deliver_lane(name) for name in self.app.transports))
        if any(waiting) and not self.app.clock.fake:
            if self._retry is None or self._retry.done():
                self._retry = asyncio.create_task(self._retry_until_delivered(), name="outbox-retry")

    def _lane(self, transport: str) -> asyncio.Lock:
        lock = self._lanes.get(transport)
        if lock is None:
            lock = self._lanes[transport] = asyncio.Lock()
        return lock

    async def _deliver_lane(self, transport: str) -> bool:
        """Passes over one platform's rows until none was asked for meanwhile; whether some still wait."""
        self._again.add(transport)
        lane = self._lane(transport)
        if lane.locked():
            return False  # the pass under way goes round again
        async with lane:
            while True:
                self._again.discard(transport)
                blocked = await self._pass(transport)
                if transport not in self._again:
                    others = {room for room in self._blocked if transport_of(room) != transport}
                    self._blocked = others | blocked
                    return bool(blocked)

    async def _retry_until_delivered(self) -> None:
        delay = 1.0
        while True:
            await asyncio.sleep(delay)  # backoff between delivery attempts, not synchronisation
            try:
                waiting = any(await asyncio.gather(*(self._deliver_lane(t) for t in self.app.transports)))
                waiting = waiting or any(lane.locked() for lane in self._lanes.values())
            except Exception:
                log.exception("an outbox pass failed (the database?); trying again")
                waiting = True
            if not waiting or not self.app.serving:
                return
            delay = min(delay * 2, 300.0)

    async def _pass(self, transport: str) -> set[str]:
        """One delivery pass over a platform's rows (the caller holds its lane); the rooms still waiting."""
        blocked: set[str] = set()
        async with self.app.db.read() as conn:
            rows = (
                await conn.execute(
                    select(outbox)
                    .where(
                        outbox.c.sent_at.is_(None),
                        outbox.c.attempts < MAX_ATTEMPTS,
                        outbox.c.room_id.startswith(f"{transport}:", autoescape=True),
                    )
                    .order_by(outbox.c.id)
                )
            ).all()
        marks: list[asyncio.Task[None]] = []
        just_sent: dict[tuple[str, str], str] = {}  # (copies, room) -> message id, before it is marked
        for row in rows:
            if not self.app.serving:
                break  # standing down: what is left goes out from the replica that serves next
            if row.room_id in blocked:
                continue
            ref = await self._deliver(row, just_sent)
            if ref is not None and row.copies:
                just_sent[(row.copies, row.room_id)] = ref.id
                self._delivered[row.id] = ref
                while len(self._delivered) > 1000:
                    self._delivered.popitem(last=False)
            awaited = self._awaited.get(row.id)
            if awaited is not None and not awaited.done():
                awaited.set_result(ref)
            # Marked while the next one is sent: the marks of a busy pass share commits.
            marks.append(asyncio.create_task(self._mark_and_tell(row, ref)))
            if ref is None:
                blocked.add(row.room_id)
                if row.attempts + 1 >= MAX_ATTEMPTS:
                    log.error("giving up outbox message %s after %s attempts", row.id, MAX_ATTEMPTS)
        for failure in await asyncio.gather(*marks, return_exceptions=True):
            if isinstance(failure, Exception):
                log.error("marking an outbox row failed (it may be sent again): %r", failure)
        return blocked

    async def settled(self) -> None:
        """Return once the answers of cancelled sends are stored (they are, on tasks of their own)."""
        while self._storing_tasks:
            await asyncio.gather(*list(self._storing_tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Stop retrying; a pass under way finishes the message in hand (the app no longer serves)."""
        await self.settled()
        await asyncio.gather(*list(self._kicks), return_exceptions=True)
        if self._retry is not None:
            self._retry.cancel()
            await asyncio.gather(self._retry, return_exceptions=True)
            self._retry = None
        for lane in list(self._lanes.values()):
            async with lane:
                pass

    async def _deliver(self, row: Any, just_sent: dict[tuple[str, str], str]) -> MessageRef | None:
        transport = self.app.transports.get(transport_of(row.room_id))
        if transport is None:
            return None
        thread = ThreadRef(room_id=row.room_id, id=row.thread_id) if row.thread_id else None
        async with self._lock(row.room_id):
            try:
                if thread is not None:
                    thread = await self.app.bridges.sent_thread(thread, just_sent)
                room_id = row.room_id
                if row.to_user:
                    user_id, _, name = row.to_user.partition("\n")
                    room_id = (await transport.direct_room(User(id=user_id, name=name or user_id))).id
                async with asyncio.timeout(DELIVERY_TIMEOUT_S):
                    return await transport.send(room_id, from_json(row.content), thread, idempotency_key(row))
            except TimeoutError:
                log.error("delivering outbox message %s timed out; it is retried", row.id)
                return None
            except Exception:
                log.exception("delivering outbox message %s failed", row.id)
                return None

    def when_sent(self, tag_prefix: str, callback: Callable[[str], Awaitable[None]]) -> None:
        """Call ``callback(tag)`` once a queued message whose tag starts with ``tag_prefix`` is sent
        and marked, e.g. to edit in what changed while it waited in the outbox."""
        self._when_sent.append((tag_prefix, callback))

    async def _mark_and_tell(self, row: Any, ref: MessageRef | None) -> None:
        await self.app.db.write(lambda tx: self._mark(tx, row.id, ref))
        if ref is None or not row.tag:
            return
        for prefix, callback in self._when_sent:
            if row.tag.startswith(prefix):
                try:
                    await callback(row.tag)
                except Exception:
                    log.exception("a when-sent callback for %s failed", row.tag)

    async def _mark(self, tx: Tx, row_id: int, ref: MessageRef | None) -> None:
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1}
        if ref is not None:
            values["sent_at"] = self.app.clock.now()
            values["message_id"] = ref.id
            values["room_id"] = ref.room_id  # a direct message's room, found at delivery
        await tx.execute(update(outbox).where(outbox.c.id == row_id).values(**values))


def idempotency_key(row: Any) -> str:
    """The same for every attempt at one outbox row, different for any other row.

    A direct send that ended in the outbox keeps the key it was first tried
    with.  Otherwise the creation time keeps keys apart between databases that
    reuse ids (a bot account moved to a new database would otherwise get old
    messages back).
    """
    if row.idempotency_key:
        return str(row.idempotency_key)
    return f"co{row.id}.{int(row.created_at.timestamp() * 1_000_000):x}"

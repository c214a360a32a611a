"""Inbound cursors survive restarts; outbound messages keep their order per room."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chatops.models.chat import MessageRef, ThreadRef
from chatops.models.content import Content, render_text
from chatops.testing import FakeTransport, Harness


@pytest.fixture
def chatops_db_url(any_db_url: str) -> str:
    return any_db_url


async def test_a_transport_cursor_survives_a_restart(chat: Harness) -> None:
    assert await chat.app.cursors.load("matrix") is None
    await chat.app.cursors.save("matrix", "s72594_4483_1934")
    await chat.app.cursors.save("matrix", "s72595_4483_1934")
    restarted = await chat.restart()
    assert await restarted.app.cursors.load("matrix") == "s72595_4483_1934"
    assert await restarted.app.cursors.load("slack") is None


async def test_a_rooms_messages_leave_in_the_order_they_were_sent(chat: Harness) -> None:
    """Even when the platform answers the first send slowly and a second arrives meanwhile."""
    order: list[str] = []
    first_started = asyncio.Event()
    release = asyncio.Event()

    async def slow_send(
        room_id: str, content: Content, thread: ThreadRef | None, key: str | None
    ) -> MessageRef:
        text = render_text(content)
        if text == "first":
            first_started.set()
            await release.wait()
        order.append(text)
        return MessageRef(room_id=room_id, id=text)

    chat.transport.send = slow_send  # type: ignore[method-assign]
    first = asyncio.create_task(chat.app.outbound.send("test:lobby", "first"))
    await first_started.wait()
    second = asyncio.create_task(chat.app.outbound.send("test:lobby", "second"))
    other_room = await chat.app.outbound.send("test:elsewhere", "other room")
    assert other_room is not None  # other rooms are not held up
    release.set()
    await asyncio.gather(first, second)
    assert order == ["other room", "first", "second"]


async def test_a_failing_send_is_logged_not_raised(chat: Harness) -> None:
    async def broken(*args: Any) -> MessageRef:
        raise ConnectionError("platform down")

    chat.transport.send = broken  # type: ignore[method-assign]
    assert await chat.app.outbound.send("test:lobby", "hello") is None


class Flaky(FakeTransport):
    """Refuses the first sends, as a platform that is briefly down would."""

    def __init__(self, app: Any, failures: int) -> None:
        super().__init__(app)
        self.failures = failures
        self.delivered = asyncio.Event()

    async def send(
        self, room_id: str, content: Content, thread: ThreadRef | None, idempotency_key: str | None = None
    ) -> MessageRef:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("platform unavailable")
        ref = await super().send(room_id, content, thread)
        if len(self.sent) == 2:
            self.delivered.set()
        return ref


async def test_queued_messages_are_retried_in_order_until_delivered(chatops_db_url: str) -> None:
    """On a real clock: the outbox keeps trying, with backoff, and a room's order holds."""
    from chatops.app import App
    from chatops.config import load_config
    from chatops.storage.db import Tx

    config = load_config(
        None,
        db_url=chatops_db_url,
        environ={},
        overrides={"web": {"enabled": False}, "transports": {}, "database": {"auto_migrate": True}},
    )
    app = App(config, transports={})
    flaky = Flaky(app, failures=2)
    app.transports["test"] = flaky
    await app.start()
    try:

        async def queue(tx: Tx) -> None:
            await tx.send("test:inc-1", "first")
            await tx.send("test:inc-1", "second")

        await app.db.write(queue)
        await asyncio.wait_for(flaky.delivered.wait(), 30)
        assert [m.text for m in flaky.sent] == ["first", "second"]
    finally:
        await app.stop()


async def test_a_reply_the_platform_could_not_take_waits_in_the_outbox_and_later_ones_queue_behind(
    chatops_db_url: str,
) -> None:
    """A direct send (a command's answer) to an unreachable platform is not lost: it is stored and
    delivered once the platform is back, and the room's next messages do not overtake it."""
    from chatops.app import App
    from chatops.config import load_config

    config = load_config(
        None,
        db_url=chatops_db_url,
        environ={},
        overrides={"web": {"enabled": False}, "transports": {}, "database": {"auto_migrate": True}},
    )
    app = App(config, transports={})
    flaky = Flaky(app, failures=10**6)  # down until the test brings it back
    app.transports["test"] = flaky
    await app.start()
    try:
        assert await app.outbound.send("test:inc-1", "first") is None  # stored, not sent
        assert await app.outbound.send("test:inc-1", "second") is None  # behind it, not around it
        flaky.failures = 0  # the platform is back; the outbox retries with backoff
        await asyncio.wait_for(flaky.delivered.wait(), 30)
        assert [m.text for m in flaky.sent] == ["first", "second"]
    finally:
        await app.stop()


async def test_a_reply_cancelled_mid_send_is_kept_with_its_idempotency_key(chat: Harness) -> None:
    """A plugin that runs out of time while its answer is on the wire is cancelled; the answer is
    stored and sent again with the same key, so a platform that did take it posts it once."""
    keys: list[str | None] = []
    hang = True
    sending = asyncio.Event()
    original = chat.transport.send

    async def hanging_send(
        room_id: str, content: Content, thread: ThreadRef | None, key: str | None = None
    ) -> MessageRef:
        keys.append(key)
        if hang:
            sending.set()
            await asyncio.Event().wait()  # the platform never answers
        return await original(room_id, content, thread, key)

    chat.transport.send = hanging_send  # type: ignore[method-assign]
    reply = asyncio.create_task(chat.app.outbound.send("test:lobby", "the answer"))
    await sending.wait()
    reply.cancel()  # as the plugin watchdog does
    await asyncio.gather(reply, return_exceptions=True)
    hang = False
    await chat.app.outbound.settled()  # the answer is stored on a task of its own
    await chat.app.outbound.deliver_pending()
    assert [m.text for m in chat.messages()] == ["the answer"]
    assert len(keys) == 2 and keys[0] == keys[1] is not None  # the retry carried the first key

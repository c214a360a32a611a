"""Inbound cursors survive restarts; outbound messages keep their order per room."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chatops.models.chat import MessageRef, ThreadRef
from chatops.models.content import Content, render_text
from chatops.testing import Harness


@pytest.fixture
def chatops_db_url(any_db_url: str) -> str:
    return any_db_url


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return {"database": {"auto_migrate": True}}


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

    async def slow_send(room_id: str, content: Content, thread: ThreadRef | None) -> MessageRef:
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

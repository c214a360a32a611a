"""Deliveries to systems other than chat: stored with the change, sent after, retried, in order per lane."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from chatops import Arg, CommandContext, CommandGroup, hookimpl
from chatops.deliveries import DeliveryError
from chatops.storage.db import Tx
from chatops.testing import Harness

group = CommandGroup("send", help="queue deliveries")


@group.command("one", Arg("text"), Arg("lane", required=False))
async def one(ctx: CommandContext, text: str, lane: str | None) -> None:
    async def write(tx: Tx) -> bool:
        return await ctx.app.deliveries.queue(tx, "echo", {"text": text}, key=f"echo:{text}", lane=lane)

    await ctx.reply("queued" if await ctx.app.db.write(write) else "already queued")


class Echo:
    """Refuses the first ``refusals`` attempts of each text, then takes it."""

    max_attempts = 4

    def __init__(self, refusals: int = 0) -> None:
        self.refusals = refusals
        self.tried: list[tuple[str, str]] = []
        self.taken: list[str] = []
        self.told: list[tuple[str, str, int, bool]] = []
        self.app: Any = None

    async def deliver(self, app: Any, payload: dict[str, Any], delivery_id: str) -> None:
        self.tried.append((payload["text"], app.clock.now().strftime("%H:%M:%S")))
        if sum(1 for t, _ in self.tried if t == payload["text"]) <= self.refusals:
            raise DeliveryError("the receiver is down")
        self.taken.append(payload["text"])

    async def failed(
        self, app: Any, payload: dict[str, Any], reason: str, attempts: int, gave_up: bool
    ) -> None:
        self.told.append((payload["text"], reason, attempts, gave_up))

    @hookimpl
    def chatops_commands(self) -> list[CommandGroup]:
        return [group]

    @hookimpl
    def chatops_delivery_kinds(self, app: Any) -> dict[str, Any]:
        return {"echo": self}


async def test_a_delivery_is_sent_once_after_its_commit(
    chat_factory: Callable[..., Awaitable[Harness]],
) -> None:
    echo = Echo()
    chat = await chat_factory(plugins=[("echo", echo)])
    assert await chat.reply("!send one hello") == "queued"
    assert await chat.reply("!send one hello") == "already queued"
    assert echo.taken == ["hello"]


async def test_a_refused_delivery_is_retried_with_backoff_then_given_up(
    chat_factory: Callable[..., Awaitable[Harness]],
) -> None:
    echo = Echo(refusals=10)
    chat = await chat_factory(plugins=[("echo", echo)])
    await chat.say("!send one hello")  # at 14:00:00
    await chat.advance("1h")
    # tries at 0 s, then 5, 10 and 20 s later; the fourth refusal is the last (max_attempts = 4)
    assert echo.tried == [
        ("hello", "14:00:00"),
        ("hello", "14:00:05"),
        ("hello", "14:00:15"),
        ("hello", "14:00:35"),
    ]
    assert echo.told == [
        ("hello", "the receiver is down", 1, False),
        ("hello", "the receiver is down", 2, False),
        ("hello", "the receiver is down", 3, False),
        ("hello", "the receiver is down", 4, True),
    ]
    assert echo.taken == []


async def test_one_lane_goes_in_order_and_other_lanes_do_not_wait(
    chat_factory: Callable[..., Awaitable[Harness]],
) -> None:
    echo = Echo(refusals=1)
    chat = await chat_factory(plugins=[("echo", echo)])
    await chat.say("!send one first status")
    await chat.say("!send one second status")  # behind "first", which waits for its retry
    await chat.say("!send one elsewhere")
    assert echo.taken == []  # each refused once; "second" was not tried before "first" went
    await chat.advance("5s")
    assert sorted(echo.taken) == ["elsewhere", "first"]
    await chat.advance("10s")
    assert echo.taken.index("first") < echo.taken.index("second")


async def test_a_delivery_queued_before_a_restart_is_sent_after_it(
    chat_factory: Callable[..., Awaitable[Harness]],
) -> None:
    echo = Echo(refusals=1)
    chat = await chat_factory(plugins=[("echo", echo)])
    await chat.say("!send one hello")
    assert echo.taken == []
    chat = await chat.restart()  # the retry is due in 5 s; a new process picks it up
    await chat.advance("5s")
    assert echo.taken == ["hello"]


async def test_two_processes_reading_the_same_row_send_it_once(
    chat_factory: Callable[..., Awaitable[Harness]],
) -> None:
    from chatops.deliveries import Deliveries

    echo = Echo(refusals=1)
    chat = await chat_factory(plugins=[("echo", echo)])
    await chat.say("!send one hello")  # refused once; due again in 5 s
    chat.clock.set(chat.clock.now() + timedelta(seconds=5))
    other = Deliveries(chat.app)  # another replica's worker on the same database
    await asyncio.gather(chat.app.deliveries.run_due(), other.run_due())
    assert echo.taken == ["hello"] and len(echo.tried) == 2

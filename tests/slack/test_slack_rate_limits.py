"""Slack answers 429 to bursts: chatops waits out Retry-After, keeps order, drops nothing."""

from __future__ import annotations

import asyncio

from fake_slack import FakeSlack
from slack_bot import SlackBot

from chatops.models.chat import MessageRef


async def test_a_rate_limited_burst_arrives_complete_and_in_order(slack: FakeSlack, bot: SlackBot) -> None:
    assert bot.app is not None
    slack.limits["chat.postMessage"] = 4  # per channel per second
    lines = [f"line {i}" for i in range(12)]
    refs = await asyncio.gather(*(bot.app.outbound.send("slack:C0GENERAL", line) for line in lines))
    assert all(isinstance(ref, MessageRef) for ref in refs)
    assert slack.throttled > 0
    assert slack.channels["C0GENERAL"].texts() == lines


async def test_piled_up_updates_of_one_message_are_coalesced(slack: FakeSlack, bot: SlackBot) -> None:
    assert bot.app is not None
    outbound = bot.app.outbound
    ref = await outbound.send("slack:C0GENERAL", "status: draft")
    assert ref is not None
    slack.limits["chat.update"] = 1
    await asyncio.gather(*(outbound.edit(ref, f"status: version {i}") for i in range(10)))
    posted = slack.channels["C0GENERAL"].messages[ref.id]
    assert posted.text == "status: version 9"
    assert slack.throttled > 0
    assert posted.edits < 10  # the versions that waited behind a rate-limited one went out as one

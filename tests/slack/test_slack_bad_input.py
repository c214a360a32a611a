"""Bad input through a slash command gets the console's answer, privately (ephemeral)."""

from __future__ import annotations

import pytest
from fake_slack import FakeSlack, unescape
from slack_bot import ALICE, SlackBot

from chatops.testing import Harness

MISTAKES = [
    'declare "DB down" --sev 9',
    'declare "DB down" --sevv 2',
    'declare "DB down',
    "sev 1",
    "resolv",
]


@pytest.mark.parametrize("text", MISTAKES)
async def test_a_mistake_gets_the_consoles_answer_as_an_ephemeral_message(
    slack: FakeSlack, bot: SlackBot, chat: Harness, text: str
) -> None:
    on_console = await chat.reply(f"!incident {text}")
    await slack.push("slash_commands", slack.slash_command("/incident", text, ALICE))
    (answer,) = await slack.wait_for(lambda: slack.responses)
    assert answer["response_type"] == "ephemeral"
    assert unescape(answer["text"]) == on_console
    await bot.idle()
    assert not [m for m in slack.channels["C0GENERAL"].messages.values() if m.user == "UBOT00001"]


async def test_an_unknown_slash_command_is_ignored_and_chatter_stays_chatter(
    slack: FakeSlack, bot: SlackBot
) -> None:
    await slack.push("slash_commands", slack.slash_command("/giphy", "cats", ALICE))
    await slack.push("events_api", slack.message_event("/var/log is full again", ALICE))
    await slack.push("events_api", slack.message_event("incident declare is how you start", ALICE))
    await bot.idle()
    assert not slack.responses and not slack.ephemeral
    assert [m.user for m in slack.channels["C0GENERAL"].messages.values()] == [ALICE, ALICE]


async def test_a_typed_mistake_is_answered_privately_too(
    slack: FakeSlack, bot: SlackBot, chat: Harness
) -> None:
    on_console = await chat.reply("!incident sev 1")
    await slack.push("events_api", slack.message_event("!incident sev 1", ALICE))
    (answer,) = await slack.wait_for(lambda: slack.ephemeral)
    assert answer["user"] == ALICE and unescape(answer["text"]) == on_console

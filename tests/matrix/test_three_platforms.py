"""One chatops on Matrix, Slack and Discord at once answers on each, before and after a restart."""

from __future__ import annotations

import pytest
from people import Person
from three_platforms import ThreePlatforms


async def ask_everywhere(three: ThreePlatforms, alice: Person, lobby: str) -> None:
    """A person on each platform types ``!help`` in a room of theirs and reads the answer there."""
    on_matrix = await three.matrix_reply(alice, lobby, "!help")
    on_slack = await three.slack_reply("!help")
    on_discord = await three.discord_reply("!help")
    for answer in (on_matrix, on_slack.text, on_discord.content):
        assert answer.startswith("Commands:") and "!incident" in answer


async def test_one_app_answers_on_all_three_platforms_across_a_restart(
    three_platforms: ThreePlatforms,
) -> None:
    three = three_platforms
    alice = await three.matrix_person("alice")
    lobby = await three.matrix_room(alice)
    await ask_everywhere(three, alice, lobby)

    slack_sockets = len(three.slack.called("apps.connections.open"))
    gateways = three.discord.connections
    await three.restart()  # returns once Slack and Discord have seen a new connection
    assert len(three.slack.called("apps.connections.open")) > slack_sockets
    assert three.discord.connections > gateways

    await ask_everywhere(three, alice, lobby)
    await three.idle()


@pytest.mark.parametrize("three_platforms_config", [{"bridging": {"enabled": True}, "command_prefix": "?"}])
async def test_a_test_declares_its_config(three_platforms: ThreePlatforms) -> None:
    """How the bridging scenario will switch features on: parametrize ``three_platforms_config``."""
    assert three_platforms.config.core.bridging.enabled
    answer = await three_platforms.discord_reply("?help")
    assert answer.content.startswith("Commands:") and "?incident" in answer.content

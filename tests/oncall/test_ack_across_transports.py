"""A person on two platforms is paged on both; acknowledging on one stops it and updates the other.

chatops runs with the Slack and the Discord transport at once, each against
its local fake (the same ones the transport tests use), through the real
slack-sdk and discord.py.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS / "slack"), str(TESTS / "discord")]

from fake_discord import ALICE as DISCORD_ALICE  # noqa: E402
from fake_discord import GUILD_ID, FakeDiscord  # noqa: E402
from fake_discord import TOKEN as DISCORD_TOKEN  # noqa: E402
from fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack  # noqa: E402

from chatops.app import App  # noqa: E402
from chatops.config import load_config  # noqa: E402

SLACK_ALICE, SLACK_BOB = "UALICE001", "UBOB00001"


@pytest_asyncio.fixture
async def both(tmp_path: Path) -> AsyncIterator[tuple[App, FakeSlack, FakeDiscord]]:
    slack = await FakeSlack().start()
    slack.add_user(SLACK_ALICE, "alice")
    slack.add_user(SLACK_BOB, "bob")
    slack.channels["C0GENERAL"].members += [SLACK_ALICE, SLACK_BOB]
    discord = await FakeDiscord().start()
    discord.add_user(DISCORD_ALICE, "alice")
    oncall: dict[str, Any] = {
        "people": {
            "alice": {"accounts": [f"slack:{SLACK_ALICE}", f"discord:{DISCORD_ALICE}"]},
            "bob": {"accounts": [f"slack:{SLACK_BOB}"]},
        }
    }
    config = load_config(
        None,
        db_url=f"sqlite:///{tmp_path / 'chatops.db'}",
        environ={},
        overrides={
            "web": {"enabled": False},
            "oncall": oncall,
            "transports": {
                "slack": {"bot_token": BOT_TOKEN, "app_token": APP_TOKEN, "api_url": slack.api_url},
                "discord": {
                    "token": DISCORD_TOKEN,
                    "guild_ids": [int(GUILD_ID)],
                    "api_url": discord.api_url,
                    "gateway_url": discord.gateway_url,
                },
            },
        },
    )
    app = App(config)
    await app.start()
    await slack.connected()
    yield app, slack, discord
    await app.stop()
    await slack.stop()
    await discord.stop()


async def test_acknowledging_on_discord_stops_the_page_and_updates_slack(
    both: tuple[App, FakeSlack, FakeDiscord],
) -> None:
    _app, slack, discord = both
    await slack.push("events_api", slack.message_event('!page @alice "db-3 disk full"', SLACK_BOB))

    slack_dm = await slack.wait_for(lambda: slack.dm_with(SLACK_ALICE))
    on_slack = await slack.wait_for(lambda: next(iter(slack_dm.messages.values()), None))
    assert on_slack.text.startswith("📟 You are paged: P-1: db-3 disk full")
    discord_dm = await discord.wait_for(lambda: discord.dm_with(DISCORD_ALICE))
    on_discord = await discord.wait_for(lambda: next(iter(discord_dm.messages.values()), None))
    assert on_discord.content.startswith("📟 You are paged: P-1: db-3 disk full")

    pressed = await discord.interact(discord.press(discord_dm.id, on_discord.id, "page.ack:1", DISCORD_ALICE))
    assert pressed.responses == [{"type": 5, "data": {"flags": 64}}]
    await slack.wait_for(lambda: "acknowledged by @alice" in on_slack.text)
    await discord.wait_for(lambda: "acknowledged by @alice" in on_discord.content)
    assert not on_slack.blocks or all(b["type"] != "actions" for b in on_slack.blocks)  # no button left
    general = slack.channels["C0GENERAL"]
    mention = next(m for m in general.messages.values() if "paged" in m.text)
    assert mention.text.startswith(f"📟 <@{SLACK_ALICE}> paged")
    await slack.wait_for(lambda: "acknowledged by @alice" in mention.text)
    await discord.wait_for(lambda: "Acknowledged P-1: escalation stopped." in discord_dm.texts())

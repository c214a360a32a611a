"""Plugins written for the console run in Slack unchanged; the manifest offers their commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import chatops_runbooks
import pytest_asyncio
import yaml
from chatops_tests_contract import FLAG_ASK, FLAG_DONE, FLAGS_PLUGIN, RICH
from fake_slack import BOT_USER, FakeSlack
from flag_service import FLAG, Call, FlagService
from slack_bot import ALICE, BOB, SlackBot
from test_slack_lifecycle import buttons, said

from chatops.cli import main
from chatops.models.chat import MessageRef, Room
from chatops.transports.slack.transport import SlackTransport

RUNBOOKS = {"runbooks": {"links": {"checkout-api": "https://wiki.example.org/runbooks/checkout"}}}


@pytest_asyncio.fixture
async def runbooks_bot(slack: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackBot]:
    runner = SlackBot(slack, tmp_path, [("runbooks", chatops_runbooks)], config=RUNBOOKS)
    await runner.start()
    yield runner
    await runner.stop()


async def test_the_runbooks_plugin_answers_its_own_slash_command(
    slack: FakeSlack, runbooks_bot: SlackBot
) -> None:
    await slack.push("slash_commands", slack.slash_command("/runbook", "show checkout-api", ALICE))
    general = slack.channels["C0GENERAL"]
    await slack.wait_for(lambda: any(t.startswith("Runbook for checkout-api") for t in general.texts()))

    await slack.push(
        "slash_commands",
        slack.slash_command("/incident", 'declare "Checkout down" --sev 2 --service checkout-api', ALICE),
    )
    room = await slack.wait_for(lambda: slack.channel_named("inc-1-checkout-down"))
    await slack.wait_for(lambda: any(t.startswith("Runbooks:") for t in room.texts()))


async def test_the_flags_plugin_asks_and_its_confirm_button_turns_the_flag_off(
    slack: FakeSlack, flag_service: FlagService, tmp_path: Path
) -> None:
    runner = SlackBot(slack, tmp_path, FLAGS_PLUGIN, config=flag_service.config())
    await runner.start()
    try:
        await slack.push("slash_commands", slack.slash_command("/flag", f"off {FLAG}", ALICE))
        general = slack.channels["C0GENERAL"]
        asked = await slack.wait_for(lambda: said(general, FLAG_ASK))
        assert flag_service.calls == []
        await slack.push(
            "interactive", slack.button_press(general.id, asked.ts, buttons(asked)["Confirm"], ALICE)
        )
        await slack.wait_for(lambda: said(general, FLAG_DONE))
        await runner.idle()
        assert flag_service.calls == [Call("PUT", FLAG, {"enabled": False})]
    finally:
        await runner.stop()


def test_the_manifest_offers_every_declared_command(tmp_path: Path, capsys: object) -> None:
    config = tmp_path / "chatops.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": {"url": f"sqlite:///{tmp_path / 'm.db'}"},
                "transports": {"slack": {"mode": "http", "public_url": "https://ops.example.org"}},
            }
        )
    )
    assert main(["slack", "manifest", "--config", str(config)]) == 0
    document = yaml.safe_load(capsys.readouterr().out)  # type: ignore[attr-defined]
    commands = {c["command"]: c for c in document["features"]["slash_commands"]}
    assert set(commands) == {
        "/incident",
        "/chatops-help",
        "/oncall",
        "/page",
        "/ack",
        "/whoami",
        "/alert",
        "/alerts",
        "/silence",
        "/silences",
        "/unsilence",
        "/postmortem",
        "/action",
        "/actions",
        "/metrics",
        "/statuspage",
        "/maintenance",
        "/mitigate",
        "/notify",
        "/drill",
    }  # /help is Slack's
    assert commands["/incident"]["url"] == "https://ops.example.org/slack/commands"
    assert "declare" in commands["/incident"]["usage_hint"]
    settings = document["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["event_subscriptions"]["request_url"] == "https://ops.example.org/slack/events"
    assert {"chat:write", "commands", "channels:manage", "pins:write"} <= set(
        document["oauth_config"]["scopes"]["bot"]
    )


async def test_help_arrives_through_its_renamed_slash_command(slack: FakeSlack, bot: SlackBot) -> None:
    await slack.push("slash_commands", slack.slash_command("/chatops-help", "incident", ALICE))
    general = slack.channels["C0GENERAL"]
    await slack.wait_for(lambda: any("!incident declare" in t for t in general.texts()))


async def test_slack_honours_the_transport_contract(slack: FakeSlack, bot: SlackBot) -> None:
    assert bot.app is not None
    transport = bot.app.transports["slack"]
    assert isinstance(transport, SlackTransport)
    user = transport.resolve_mention(f"<@{ALICE}>")
    assert user is not None and user.id == f"slack:{ALICE}"
    assert transport.resolve_mention("alice") is None
    assert transport.resolve_mention("@nobody-we-know") is None

    room = await transport.create_room(
        "INC-7 DB down!", "INC-7 · Sev1", private=True, invite=[user], display_name="INC-7 · DB down"
    )
    assert (
        isinstance(room, Room) and room.transport == "slack" and room.private and room.name == "inc-7-db-down"
    )
    again = await transport.create_room("inc-7-db-down", "", private=False, invite=[])
    assert again.name == "inc-7-db-down-2"  # the name was taken
    ref = await transport.send(room.id, RICH, None)
    assert isinstance(ref, MessageRef) and ref.room_id == room.id
    channel = slack.channels[room.id.split(":", 1)[1]]
    posted = channel.messages[ref.id]
    assert [b["type"] for b in posted.blocks] == ["section", "section", "actions"]
    assert posted.blocks[2]["elements"][0]["action_id"] == "page.ack:17"
    assert ALICE in channel.members and channel.topic == "INC-7 · Sev1"
    await transport.set_topic(room.id, "INC-7 · Sev1 · mitigated")
    assert channel.topic == "INC-7 · Sev1 · mitigated"
    direct = await transport.direct_room(transport.user_of(BOB))
    assert direct.direct and direct.transport == "slack"
    assert (await transport.direct_room(transport.user_of(BOB))).id == direct.id
    assert BOT_USER in channel.members

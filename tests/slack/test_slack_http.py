"""HTTP mode: Slack's signed requests are verified, stale ones refused, redeliveries handled once."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from aiohttp import ClientSession
from fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack
from slack_bot import ALICE, SIGNING_SECRET, SlackBot


def bot_messages(slack: FakeSlack) -> list[str]:
    return [m.text for m in slack.channels["C0GENERAL"].messages.values() if m.user == "UBOT00001"]


async def test_a_signed_slash_command_is_acknowledged_at_once_and_answered(
    slack: FakeSlack, http_bot: SlackBot
) -> None:
    started = time.monotonic()
    status, body = await slack.post_signed(
        f"{http_bot.url}/commands",
        slack.slash_command("/incident", 'declare "DB down" --sev 2', ALICE),
        SIGNING_SECRET,
        form=True,
    )
    assert (status, body) == (200, "")
    assert time.monotonic() - started < 3
    await slack.wait_for(lambda: slack.channel_named("inc-1-db-down"))


async def test_tampered_and_stale_requests_are_refused_and_not_processed(
    slack: FakeSlack, http_bot: SlackBot
) -> None:
    command = slack.slash_command("/incident", 'declare "DB down" --sev 2', ALICE)
    tampered = await slack.post_signed(
        f"{http_bot.url}/commands", command, SIGNING_SECRET, form=True, tamper=True
    )
    assert tampered[0] == 401
    wrong_secret = await slack.post_signed(f"{http_bot.url}/commands", command, "not-the-secret", form=True)
    assert wrong_secret[0] == 401
    stale = await slack.post_signed(
        f"{http_bot.url}/commands", command, SIGNING_SECRET, form=True, timestamp=int(time.time()) - 6 * 60
    )
    assert stale[0] == 401 and "5-minute" in stale[1]
    event = slack.message_event('!incident declare "DB down" --sev 2', ALICE)
    assert (await slack.post_signed(f"{http_bot.url}/events", event, "nope"))[0] == 401
    await http_bot.idle()
    assert not slack.called("conversations.create") and not bot_messages(slack)


async def test_a_redelivered_event_is_processed_once(slack: FakeSlack, http_bot: SlackBot) -> None:
    event = slack.message_event('!incident declare "DB down" --sev 2', ALICE)
    for retry in (0, 1, 2):  # Slack retries when it thinks the first delivery failed
        status, _ = await slack.post_signed(f"{http_bot.url}/events", event, SIGNING_SECRET, retry_num=retry)
        assert status == 200
    await slack.wait_for(lambda: slack.channel_named("inc-1-db-down"))
    await http_bot.idle()
    assert len(slack.called("conversations.create")) == 1
    assert len([t for t in bot_messages(slack) if t.startswith("INC-1 declared")]) == 1


async def test_the_url_verification_challenge_is_answered(slack: FakeSlack, http_bot: SlackBot) -> None:
    challenge = {
        "token": "t",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    status, body = await slack.post_signed(f"{http_bot.url}/events", challenge, SIGNING_SECRET)
    assert status == 200 and challenge["challenge"] in body


async def test_malformed_bodies_get_400(slack: FakeSlack, http_bot: SlackBot) -> None:
    status, body = await slack.post_signed(
        f"{http_bot.url}/interactions", {"payload": "{not json"}, SIGNING_SECRET, form=True
    )
    assert status == 400 and "not JSON" in body


async def test_a_button_over_http_runs_its_command(slack: FakeSlack, http_bot: SlackBot) -> None:
    await slack.post_signed(
        f"{http_bot.url}/commands",
        slack.slash_command("/incident", 'declare "DB down" --sev 2', ALICE),
        SIGNING_SECRET,
        form=True,
    )
    room = await slack.wait_for(lambda: slack.channel_named("inc-1-db-down"))
    await slack.wait_for(lambda: room.pins)
    status = room.messages[room.pins[0]]
    press = slack.button_press(room.id, status.ts, "incident.mitigated:1", ALICE)
    assert (await slack.post_signed(f"{http_bot.url}/interactions", press, SIGNING_SECRET, interactive=True))[
        0
    ] == 200
    await slack.wait_for(lambda: any(t.startswith("INC-1 is mitigated") for t in room.texts()))


async def test_tokens_and_the_signing_secret_never_reach_the_logs(
    slack: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for mode in ("socket", "http"):
        runner = SlackBot(slack, tmp_path / mode, [], mode=mode)
        (tmp_path / mode).mkdir()
        await runner.start()
        try:
            command = slack.slash_command("/incident", 'declare "DB down" --sev 2', ALICE)
            if mode == "http":
                await slack.post_signed(f"{runner.url}/commands", command, "wrong", form=True)
                await slack.post_signed(f"{runner.url}/commands", command, SIGNING_SECRET, form=True)
            else:
                await slack.push("slash_commands", command)
            await slack.wait_for(lambda: slack.channel_named("inc-1-db-down"))
            await runner.idle()
        finally:
            await runner.stop()
        slack.channels = {k: v for k, v in slack.channels.items() if v.name != "inc-1-db-down"}
    logged = caplog.text
    assert "conversations.create" in logged  # the debug log is really on
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET):
        assert secret not in logged


async def test_a_timestamp_that_is_not_a_number_is_refused(slack: FakeSlack, http_bot: SlackBot) -> None:
    async with ClientSession() as session:
        headers = {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}
        async with session.post(f"{http_bot.url}/events", data=b"{}", headers=headers) as response:
            assert response.status == 401

"""The console's incident lifecycle, in Slack: slash commands, a typed command, buttons and modals,
driven through the real slack-sdk (Socket Mode) against a local Slack."""

from __future__ import annotations

from fake_slack import Channel, FakeSlack, Posted, unescape
from slack_bot import ALICE, BOB, SlackBot

from chatops.transports.slack.transport import SlackTransport


def said(channel: Channel, start: str) -> Posted | None:
    return next((m for m in channel.messages.values() if m.text.startswith(start)), None)


def buttons(message: Posted) -> dict[str, str]:
    """Button label -> action id."""
    return {
        e["text"]["text"]: e["action_id"]
        for block in message.blocks
        if block["type"] == "actions"
        for e in block["elements"]
    }


async def test_an_incident_from_declaration_to_resolution(slack: FakeSlack, bot: SlackBot) -> None:
    general = slack.channels["C0GENERAL"]
    ack = await slack.push(
        "slash_commands", slack.slash_command("/incident", 'declare "Checkout API errors" --sev 2', ALICE)
    )
    assert ack.ack_ms is not None and ack.ack_ms < 3000
    declared = await slack.wait_for(lambda: said(general, "INC-1 declared"))
    assert declared.text.startswith('INC-1 declared · Sev2 · "Checkout API errors"')
    assert "IC @alice" in declared.text

    room = await slack.wait_for(lambda: slack.channel_named("inc-1-checkout-api-errors"))
    assert ALICE in room.members and not room.is_private
    await slack.wait_for(lambda: room.pins)
    status = room.messages[room.pins[0]]
    assert status.text.startswith('INC-1 · Sev2 · investigating · "Checkout API errors"')
    assert set(buttons(status)) == {"Post update", "Mitigated"}
    assert room.topic == "INC-1 · Sev2 · investigating · Checkout API errors · IC @alice"

    await slack.push(
        "slash_commands", slack.slash_command("/incident", "sev 1 revenue impact confirmed", ALICE, room.id)
    )
    sev = await slack.wait_for(lambda: said(room, "INC-1 severity"))
    assert sev.text.startswith("INC-1 severity Sev2 → Sev1 (revenue impact confirmed).")
    await slack.wait_for(lambda: room.topic.startswith("INC-1 · Sev1 · investigating"))

    # a typed command with a Slack mention
    await slack.push("events_api", slack.message_event(f"!incident role tech-lead <@{BOB}>", ALICE, room.id))
    role = await slack.wait_for(lambda: said(room, "@bob is now"))
    assert role.text == "@bob is now Tech Lead of INC-1."
    assert BOB in room.members
    dm = await slack.wait_for(lambda: slack.dm_with(BOB))
    await slack.wait_for(lambda: said(dm, "You are now Tech Lead of INC-1."))

    # the status message's "Post update" button opens the update form as a modal
    await slack.push(
        "interactive", slack.button_press(room.id, status.ts, buttons(status)["Post update"], ALICE)
    )
    view_id = await slack.wait_for(lambda: next(iter(slack.views), None))
    assert slack.views[view_id]["title"]["text"] == "Post an update"
    impact = "checkout failing for ~30% — rolling back — next update in 15 min"
    await slack.push("interactive", slack.view_submission(view_id, {"text": impact}, ALICE))
    await slack.wait_for(lambda: said(room, "Update posted to INC-1."))
    await slack.wait_for(lambda: f"Impact: {impact}" in status.text)

    await slack.push(
        "interactive", slack.button_press(room.id, status.ts, buttons(status)["Mitigated"], ALICE)
    )
    mitigated = await slack.wait_for(lambda: said(room, "INC-1 is mitigated"))
    assert "monitoring until" in mitigated.text
    await slack.wait_for(lambda: "Resolve" in buttons(status))

    await slack.push("interactive", slack.button_press(room.id, status.ts, buttons(status)["Resolve"], ALICE))
    early = await slack.wait_for(lambda: slack.responses)
    assert early[0]["response_type"] == "ephemeral" and early[0]["text"].startswith("Can't resolve INC-1 yet")

    await slack.push(
        "slash_commands",
        slack.slash_command("/incident", 'resolve --force "verified by synthetic checks"', ALICE, room.id),
    )
    resolved = await slack.wait_for(lambda: said(room, "INC-1 is resolved"))
    assert resolved.text == "INC-1 is resolved (forced: verified by synthetic checks). Thank you all."
    await slack.wait_for(lambda: room.topic == "INC-1 · Sev1 · resolved · Checkout API errors · IC @alice")
    await slack.wait_for(lambda: not buttons(status))


async def test_declaring_without_a_title_opens_the_declare_modal(slack: FakeSlack, bot: SlackBot) -> None:
    await slack.push("slash_commands", slack.slash_command("/incident", "declare", ALICE))
    view_id = await slack.wait_for(lambda: next(iter(slack.views), None))
    view = slack.views[view_id]
    assert view["title"]["text"] == "Declare an incident"
    assert [b["block_id"] for b in view["blocks"]] == ["title", "sev"]
    assert [b["optional"] for b in view["blocks"]] == [False, True]

    await slack.push(
        "interactive", slack.view_submission(view_id, {"title": 'Payments "stuck"', "sev": "1"}, ALICE)
    )
    declared = await slack.wait_for(lambda: said(slack.channels["C0GENERAL"], "INC-1 declared"))
    assert declared.text.startswith('INC-1 declared · Sev1 · "Payments "stuck""')
    assert await slack.wait_for(lambda: slack.channel_named("inc-1-payments-stuck"))


async def test_a_typed_command_without_arguments_gets_usage_not_a_modal(
    slack: FakeSlack, bot: SlackBot
) -> None:
    await slack.push("events_api", slack.message_event("!incident declare", ALICE))
    await bot.idle()
    assert not slack.views
    (answer,) = slack.ephemeral
    assert answer["user"] == ALICE and "Usage: !incident declare <title>" in unescape(answer["text"])


async def test_the_bot_answers_when_addressed_and_ignores_itself(slack: FakeSlack, bot: SlackBot) -> None:
    for payload in slack.mention_event("help incident", ALICE):  # Slack sends a mention twice
        await slack.push("events_api", payload)
    await slack.push("events_api", slack.message_event("!help", "UBOT00001"))
    await bot.idle()
    answers = [m for m in slack.channels["C0GENERAL"].messages.values() if m.user == "UBOT00001" and m.blocks]
    assert len(answers) == 1 and "!incident declare" in answers[0].text


async def test_a_slash_command_in_a_public_channel_the_bot_is_not_in(slack: FakeSlack, bot: SlackBot) -> None:
    random = slack.add_channel("C0RANDOM", "random", members=[ALICE])
    await slack.push("slash_commands", slack.slash_command("/chatops-help", "", ALICE, random.id))
    answer = await slack.wait_for(lambda: said(random, "Commands"))
    assert "UBOT00001" in random.members and answer.user == "UBOT00001"


async def test_a_command_typed_in_a_thread_is_answered_in_that_thread(
    slack: FakeSlack, bot: SlackBot
) -> None:
    general = slack.channels["C0GENERAL"]
    root = slack.message_event("is checkout slow for anyone?", ALICE)
    await slack.push("events_api", root)
    thread_ts = root["event"]["ts"]
    await slack.push("events_api", slack.message_event("!incident list", BOB, thread_ts=thread_ts))
    answer = await slack.wait_for(
        lambda: next((m for m in general.messages.values() if m.user == "UBOT00001"), None)
    )
    assert answer.thread_ts == thread_ts


async def test_commands_are_handled_in_the_order_they_were_typed_even_when_a_name_is_slow(
    slack: FakeSlack, bot: SlackBot
) -> None:
    slack.add_user("UCAROL001", "carol")
    slack.latency_s["users.info"] = 0.3  # looking carol up takes a while
    await slack.push("events_api", slack.message_event("!help incident <@UCAROL001>", ALICE))
    await slack.push("events_api", slack.message_event("!help", ALICE))
    general = slack.channels["C0GENERAL"]
    await bot.idle()
    answers = [m.text for m in general.messages.values() if m.user == "UBOT00001"]
    assert answers[0].startswith("!incident — ") and answers[1].startswith("Commands")


async def test_a_mention_label_typed_by_someone_does_not_rename_anyone(
    slack: FakeSlack, bot: SlackBot
) -> None:
    assert bot.app is not None
    transport = bot.app.transports["slack"]
    assert isinstance(transport, SlackTransport)
    await slack.push("slash_commands", slack.slash_command("/chatops-help", "", ALICE))
    await slack.push("slash_commands", slack.slash_command("/chatops-help", "", BOB))
    assert transport.resolve_mention("@alice") == transport.user_of(ALICE)
    assert transport.resolve_mention(f"<@{BOB}|alice>") == transport.user_of(BOB)
    assert transport.resolve_mention("@alice") == transport.user_of(ALICE)  # still alice, not bob

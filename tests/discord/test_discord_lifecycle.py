"""The console's incident lifecycle, in Discord: slash commands, a typed command, buttons and a modal,
driven through the unmodified discord.py against a local Discord."""

from __future__ import annotations

from discord_bot import DiscordBot
from fake_discord import ALICE, BOB, OPS_ID, Channel, FakeDiscord, Posted

EPHEMERAL_DEFER = {"type": 5, "data": {"flags": 64}}


def said(channel: Channel, start: str) -> Posted | None:
    return next((m for m in channel.messages.values() if m.content.startswith(start)), None)


async def test_an_incident_from_declaration_to_resolution(
    discord_server: FakeDiscord, bot: DiscordBot
) -> None:
    fake = discord_server
    ops = fake.channels[OPS_ID]
    declare = await fake.interact(
        fake.slash("incident", ALICE, "declare", title="Checkout API errors", sev="2")
    )
    assert declare.responses == [EPHEMERAL_DEFER]
    declared = await fake.wait_for(lambda: said(ops, "INC-1 declared"))
    assert declared.content.startswith('INC-1 declared · Sev2 · "Checkout API errors"')
    assert "IC @alice" in declared.content
    await fake.wait_for(lambda: declare.deleted)  # the "thinking…" goes once the answer is in the channel

    room = await fake.wait_for(lambda: fake.channel_named("inc-1-checkout-api-errors"))
    assert room.overwrites[ALICE]["allow"] != "0"
    await fake.wait_for(lambda: room.pins)
    status = room.messages[room.pins[0]]
    assert status.content.startswith('INC-1 · Sev2 · investigating · "Checkout API errors"')
    assert set(status.buttons()) == {"Post update", "Mitigated"}
    assert room.topic == "INC-1 · Sev2 · investigating · Checkout API errors · IC @alice"

    await fake.interact(
        fake.slash("incident", ALICE, "sev", room.id, level="1", reason="revenue impact confirmed")
    )
    sev = await fake.wait_for(lambda: said(room, "INC-1 severity"))
    assert sev.content.startswith("INC-1 severity Sev2 → Sev1 (revenue impact confirmed).")
    await fake.wait_for(lambda: room.topic.startswith("INC-1 · Sev1 · investigating"))

    # a typed command with a Discord mention
    await fake.dispatch("MESSAGE_CREATE", fake.message(f"!incident role tech-lead <@{BOB}>", ALICE, room.id))
    role = await fake.wait_for(lambda: said(room, "@bob is now"))
    assert role.content == "@bob is now Tech Lead of INC-1."
    assert BOB in room.overwrites
    dm = await fake.wait_for(lambda: fake.dm_with(BOB))
    await fake.wait_for(lambda: said(dm, "You are now Tech Lead of INC-1."))

    # "Post update" opens the update form as the interaction's first response
    press = await fake.interact(fake.press(room.id, status.id, status.buttons()["Post update"], ALICE))
    (modal,) = press.responses
    assert modal["type"] == 9 and modal["data"]["title"] == "Post an update"
    impact = "checkout failing for ~30% — rolling back — next update in 15 min"
    await fake.interact(fake.submit(modal["data"]["custom_id"], {"text": impact}, ALICE, room.id))
    await fake.wait_for(lambda: said(room, "Update posted to INC-1."))
    await fake.wait_for(lambda: f"Impact: {impact}" in status.content)

    await fake.interact(fake.press(room.id, status.id, status.buttons()["Mitigated"], ALICE))
    mitigated = await fake.wait_for(lambda: said(room, "INC-1 is mitigated"))
    assert "monitoring until" in mitigated.content
    await fake.wait_for(lambda: "Resolve" in status.buttons())

    early = await fake.interact(fake.press(room.id, status.id, status.buttons()["Resolve"], ALICE))
    await fake.wait_for(lambda: early.original)
    assert early.original["content"].startswith("Can't resolve INC-1 yet") and not early.deleted

    await fake.interact(
        fake.slash("incident", ALICE, "resolve", room.id, force="verified by synthetic checks")
    )
    resolved = await fake.wait_for(lambda: said(room, "INC-1 is resolved"))
    assert resolved.content == "INC-1 is resolved (forced: verified by synthetic checks). Thank you all."
    await fake.wait_for(lambda: room.topic == "INC-1 · Sev1 · resolved · Checkout API errors · IC @alice")
    await fake.wait_for(lambda: not status.buttons())


async def test_declaring_without_a_title_opens_the_declare_modal(
    discord_server: FakeDiscord, bot: DiscordBot
) -> None:
    fake = discord_server
    bare = await fake.interact(fake.slash("incident", ALICE, "declare"))
    (modal,) = bare.responses
    assert modal["type"] == 9 and modal["data"]["title"] == "Declare an incident"
    fields = [row["components"][0] for row in modal["data"]["components"]]
    assert [(f["custom_id"], f["required"]) for f in fields] == [("title", True), ("sev", False)]
    await fake.interact(
        fake.submit(modal["data"]["custom_id"], {"title": "Payments stuck", "sev": "1"}, ALICE)
    )
    declared = await fake.wait_for(lambda: said(fake.channels[OPS_ID], "INC-1 declared"))
    assert declared.content.startswith('INC-1 declared · Sev1 · "Payments stuck"')


async def test_slash_commands_are_registered_from_the_declarations_once(
    discord_server: FakeDiscord, bot: DiscordBot
) -> None:
    fake = discord_server
    registered = {c["name"]: c for c in fake.commands["guilds/1000000000000000003/commands"]}
    assert {"help", "incident"} <= set(registered)
    declare = next(o for o in registered["incident"]["options"] if o["name"] == "declare")
    assert [(o["name"], o["type"], o["required"]) for o in declare["options"]][:3] == [
        ("title", 3, True),
        ("sev", 3, False),
        ("started", 3, False),
    ]
    assert ("private", 5) in [(o["name"], o["type"]) for o in declare["options"]]
    puts = len(fake.called("PUT", "/applications/"))
    assert puts == 1
    await bot.restart()
    assert len(fake.called("PUT", "/applications/")) == 1  # unchanged: not registered again


async def test_a_submitted_form_missing_what_is_required_gets_usage_not_another_modal(
    discord_server: FakeDiscord, bot: DiscordBot
) -> None:
    fake = discord_server
    bare = await fake.interact(fake.slash("incident", ALICE, "declare"))
    submitted = await fake.interact(
        fake.submit(bare.responses[0]["data"]["custom_id"], {"title": "   "}, ALICE)
    )
    assert submitted.responses == [EPHEMERAL_DEFER]
    await fake.wait_for(lambda: submitted.original)
    assert "Usage: !incident declare <title>" in submitted.original["content"]

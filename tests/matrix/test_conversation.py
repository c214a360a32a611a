"""Buttons as reactions, direct rooms remembered, invites only from the trusted — on a real Synapse."""

from __future__ import annotations

import pytest
from conftest import Bot, People
from test_lifecycle import lobby_with_bot

from chatops import CommandContext, CommandGroup, hookimpl
from chatops.models.content import Button, Buttons, Content, Text

demo = CommandGroup("demo", help="a test page with a button")


@demo.command("show")
async def show(ctx: CommandContext) -> None:
    await ctx.reply(
        Content(
            (
                Text(("P-17 for checkout-api",)),
                Buttons((Button("Acknowledge", "page.ack:17", "!demo ack"),)),
            )
        )
    )


@demo.command("ack")
async def ack(ctx: CommandContext) -> None:
    await ctx.reply(f"P-17 acknowledged by @{ctx.sender.name}")


class Pages:
    @hookimpl
    def chatops_commands(self) -> list[CommandGroup]:
        return [demo]


@pytest.fixture
def chatops_plugins() -> list[tuple[str, object]]:
    return [("pages", Pages())]


async def test_a_button_is_a_reaction_and_a_reaction_presses_it(people: People, bot: Bot) -> None:
    alice = await people.person("alice")
    lobby = await lobby_with_bot(alice, bot)
    shown = await alice.reply_to(lobby, "!demo show", bot.user_id)
    assert shown.splitlines() == ["P-17 for checkout-api", "👍 Acknowledge (!demo ack)"]
    message = alice.notices(lobby, bot.user_id)[-1].event.event_id
    before = len(alice.notices(lobby, bot.user_id))
    await alice.press(lobby, message, "👍")
    await alice.wait_for(lambda: len(alice.notices(lobby, bot.user_id)) > before)
    assert alice.notices(lobby, bot.user_id)[before].body == f"P-17 acknowledged by @{alice.localpart}"


async def test_direct_messages_reuse_one_room_across_restarts(people: People, bot: Bot) -> None:
    alice = await people.person("alice")
    bob = await people.person("bob")
    lobby = await lobby_with_bot(alice, bot)
    await alice.reply_to(lobby, "!incident declare First --sev 2", bot.user_id)
    await alice.reply_to(lobby, f"!incident role tech-lead {bob.user_id} --id 1", bot.user_id)
    dm = await bob.join_invited("")
    await bob.wait_for(lambda: len(bob.notices(dm, bot.user_id)) == 1)
    await bot.stop()
    await bot.start()
    await alice.reply_to(lobby, "!incident declare Second --sev 2", bot.user_id)
    await alice.reply_to(lobby, f"!incident role tech-lead {bob.user_id} --id 2", bot.user_id)
    await bob.wait_for(lambda: len(bob.notices(dm, bot.user_id)) == 2)
    assert "" not in bob.invites.values()  # no second direct room (the incident rooms invite him too)
    assert bob.notices(dm, bot.user_id)[1].body.startswith("You are now Tech Lead of INC-2.")


async def test_invites_from_strangers_are_ignored(people: People, bot: Bot) -> None:
    mallory = await people.person("mallory")
    lure = (await mallory.client.room_create(name="lure", invite=[bot.user_id])).room_id
    alice = await people.person("alice")
    await lobby_with_bot(alice, bot)  # accepted: so the earlier invite has been seen (and refused) too
    members = await mallory.client.joined_members(lure)
    assert [m.user_id for m in members.members] == [mallory.user_id]

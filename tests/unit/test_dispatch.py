"""The command layer: de-duplication, forms, plugin commands merging into groups."""

from __future__ import annotations

from typing import Any

import pytest

from chatops import Arg, Capabilities, CommandContext, CommandGroup, hookimpl
from chatops.commands.registry import CommandConflict, CommandRegistry
from chatops.models.content import Form, FormField
from chatops.testing import Harness

echo = CommandGroup("echo", help="say it back")


@echo.command(
    "say",
    Arg("words", greedy=True),
    form=Form(title="Say", command="echo say", fields=(FormField(name="words", label="Words"),)),
)
async def say(ctx: CommandContext, words: str) -> None:
    await ctx.reply(words)


class Echo:
    @hookimpl
    def chatops_commands(self) -> list[CommandGroup]:
        return [echo]


@pytest.fixture
def chatops_plugins() -> list[tuple[str, object]]:
    return [("echo", Echo())]


async def test_a_redelivered_event_is_handled_once(chat: Harness) -> None:
    assert len(await chat.say("!echo say hi", event_id="evt-1")) == 1
    assert await chat.say("!echo say hi", event_id="evt-1") == []
    assert len(await chat.say("!echo say hi", event_id="evt-2")) == 1


async def test_plain_chatter_is_ignored(chat: Harness) -> None:
    assert await chat.say("anyone seeing errors?") == []


async def test_missing_arguments_open_the_form_where_the_transport_has_modals(chat_factory: Any) -> None:
    chat = await chat_factory(capabilities=Capabilities(modals=True))
    assert await chat.say("!echo say") == []
    assert chat.transport.forms == [("lobby", echo.commands["say"].form)]


async def test_without_modals_missing_arguments_get_the_usage(chat: Harness) -> None:
    assert await chat.reply("!echo say") == "Missing <words>.\nUsage: !echo say <words>"


async def test_declaring_the_same_subcommand_twice_names_both_plugins() -> None:
    registry = CommandRegistry()
    registry.add("one", echo)
    other = CommandGroup("echo")
    other.command("say")(say)
    with pytest.raises(CommandConflict, match="declared by both one and two"):
        registry.add("two", other)


async def test_groups_from_several_plugins_merge(chat: Harness) -> None:
    group = chat.app.commands.groups["incident"]
    plugins = {c.plugin for c in group.commands.values()}
    assert plugins == {"incident", "incident_duplicates", "severity", "roles", "timeline"}

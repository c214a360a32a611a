"""The kill switch, tested with chatops' own harness (``chat_factory``) and a local flag service."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib.metadata import entry_points

import chatops_flags
import pytest
from flag_service import FLAG, TOKEN, Call, FlagService
from flag_service import flag_service as flag_service  # the fixture

from chatops.models.content import Buttons, Content
from chatops.testing import Harness

Factory = Callable[..., Awaitable[Harness]]


@pytest.fixture(autouse=True)
def flags_plugin(register_plugin: Callable[..., None]) -> None:
    # Installed, it loads through its entry point; from a source checkout, register the module.
    if not any(ep.name == "flags" for ep in entry_points(group="chatops.plugins")):
        register_plugin(chatops_flags, "flags")


@pytest.fixture
async def chat(chat_factory: Factory, flag_service: FlagService) -> Harness:
    return await chat_factory(config=flag_service.config(timeout_s=0.5))


def confirm_command(content: Content) -> str:
    [button] = [b for block in content.blocks if isinstance(block, Buttons) for b in block.buttons]
    assert button.label == "Confirm"
    return button.command


async def test_off_asks_first_and_its_confirm_button_turns_the_flag_off(
    chat: Harness, flag_service: FlagService
) -> None:
    [asked] = await chat.say(f"!flag off {FLAG}")
    assert asked.text == (f"Turn off flag {FLAG} for all users now?\n[Confirm: !flag off {FLAG} --confirm]")
    assert flag_service.calls == []  # nothing changes before the confirmation

    assert await chat.reply(confirm_command(asked.content)) == f"Flag {FLAG} is off."
    assert flag_service.calls == [Call("PUT", FLAG, {"enabled": False})]
    assert flag_service.flags[FLAG] is False


async def test_on_and_status(chat: Harness, flag_service: FlagService) -> None:
    assert await chat.reply("!flag status search-v2") == "Flag search-v2 is off."
    [asked] = await chat.say("!flag on search-v2")
    assert await chat.reply(confirm_command(asked.content)) == "Flag search-v2 is on."
    assert await chat.reply("!flag status search-v2") == "Flag search-v2 is on."
    assert [c.method for c in flag_service.calls] == ["GET", "PUT", "GET"]


async def test_in_an_incident_room_the_change_is_on_the_timeline(chat: Harness) -> None:
    await chat.say("!incident declare Checkout down --sev 1", user="alice")
    room = "inc-1-checkout-down"
    reply = await chat.reply(f"!flag off {FLAG} --confirm", user="alice", room=room)
    assert reply == f"Flag {FLAG} is off (on INC-1's timeline)."
    timeline = (await chat.reply("!incident timeline", room=room)).splitlines()
    assert timeline[-1].endswith(f"@alice  flag_switched: {FLAG} off")


async def test_unknown_and_invalid_flags_get_a_clear_answer(chat: Harness, flag_service: FlagService) -> None:
    assert await chat.reply("!flag off nope --confirm") == (
        "Unknown flag 'nope': the flag service has no such flag."
    )
    invalid = await chat.reply("!flag off 'Drop Table' --confirm")
    assert invalid.splitlines() == [
        "Flag: 'Drop Table' is not a valid name (use a-z, 0-9, '.', '_', '-').",
        "Usage: !flag off <flag> [--confirm]   — e.g. !flag off new-ui",
    ]
    assert [c.flag for c in flag_service.calls] == ["nope"]


async def test_a_failing_or_silent_flag_service_gets_a_clear_answer_and_no_secret(
    chat: Harness, flag_service: FlagService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    flag_service.fail_with = 503
    assert await chat.reply(f"!flag off {FLAG} --confirm") == (
        f"Couldn't turn off {FLAG}: the flag service answered HTTP 503. "
        f"Check it, then retry: !flag off {FLAG} --confirm"
    )
    flag_service.fail_with, flag_service.hang = None, True
    assert await chat.reply(f"!flag off {FLAG} --confirm") == (
        f"Couldn't turn off {FLAG}: the flag service did not answer within 0.5 s (its state is unknown). "
        f"Check it, then retry: !flag off {FLAG} --confirm"
    )
    await flag_service.stop()
    assert await chat.reply(f"!flag status {FLAG}") == (
        f"Couldn't read {FLAG}: the flag service could not be reached or gave no usable answer. "
        f"Check it, then retry: !flag status {FLAG}"
    )
    said = "\n".join(m.text for m in chat.messages())
    assert "Traceback" not in said and TOKEN not in said and TOKEN not in caplog.text


async def test_without_a_flag_service_configured_it_says_what_to_set(chat_factory: Factory) -> None:
    chat = await chat_factory(config={})
    assert await chat.reply(f"!flag status {FLAG}") == (
        "The flag service is not configured: set flags.url and flags.token in chatops.yaml."
    )


async def test_who_may_switch_flags_is_configurable(chat_factory: Factory, flag_service: FlagService) -> None:
    config = {**flag_service.config(), "permissions": {"flags.change": ["ic", "admin"]}}
    chat = await chat_factory(config=config)
    refused = await chat.reply(f"!flag off {FLAG} --confirm", user="mallory")
    assert refused.startswith("Only ") and refused.endswith("can turn feature flags on or off.")
    assert (
        await chat.reply(f"!flag status {FLAG}", user="mallory") == f"Flag {FLAG} is on."
    )  # reading is open
    assert [c.method for c in flag_service.calls] == ["GET"]

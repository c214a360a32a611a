"""Every transport honours the same contract: the console and the test fake here, Matrix in
tests/matrix/test_contract.py against a real Synapse, Slack in tests/slack/test_plugins_in_slack.py
against a local Slack, Discord in tests/discord/test_discord_interactions.py against a local Discord.
Each also runs the flags example plugin (examples/flags-plugin) unchanged, pressing its Confirm button."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from chatops_tests_contract import FLAG_ASK, FLAG_DONE, FLAGS_PLUGIN, RICH
from flag_service import FLAG, Call, FlagService

from chatops.app import App
from chatops.config import load_config
from chatops.models.chat import MessageRef, Room, User
from chatops.models.content import from_json, to_json
from chatops.testing.fake import FakeTransport
from chatops.transports.base import Transport
from chatops.transports.console import ConsoleTransport


def console(app: App) -> Transport:
    return ConsoleTransport(app, "console", {}, out=io.StringIO())


def fake(app: App) -> Transport:
    return FakeTransport(app, "test")


@pytest.fixture(params=[console, fake], ids=["console", "fake"])
def transport(request: pytest.FixtureRequest, tmp_path: Any) -> Transport:
    factory: Callable[[App], Transport] = request.param
    app = App(load_config(None, db_url=f"sqlite:///{tmp_path / 'c.db'}", environ={}), transports={})
    return factory(app)


async def test_send_returns_a_reference_in_the_room(transport: Transport) -> None:
    room = await transport.direct_room(transport.user("alice"))
    ref = await transport.send(room.id, RICH, None)
    assert isinstance(ref, MessageRef) and ref.room_id == room.id


async def test_create_room_gives_a_room_of_this_transport(transport: Transport) -> None:
    room = await transport.create_room(
        "inc-7-db-down", "INC-7 · Sev1", private=True, invite=[transport.user("alice")]
    )
    assert isinstance(room, Room) and room.transport == transport.name and room.name == "inc-7-db-down"
    assert room.private
    await transport.set_topic(room.id, "INC-7 · Sev1 · mitigated")


async def test_mentions_resolve_to_users_of_this_transport(transport: Transport) -> None:
    user = transport.resolve_mention("@alice")
    assert isinstance(user, User) and user.id == f"{transport.name}:alice" and user.name == "alice"
    assert transport.resolve_mention("alice") is None


def test_console_renders_one_line_per_message_with_indented_continuations(tmp_path: Any) -> None:
    out = io.StringIO()
    app = App(load_config(None, db_url=f"sqlite:///{tmp_path / 'c.db'}", environ={}), transports={})
    transport = ConsoleTransport(app, "console", {}, out=out)
    transport.write("lobby", "chatops", "first\nsecond")
    assert out.getvalue() == "[lobby] chatops: first\n    second\n"


async def test_buttons_degrade_to_the_command_they_stand_for(tmp_path: Any) -> None:
    out = io.StringIO()
    app = App(load_config(None, db_url=f"sqlite:///{tmp_path / 'c.db'}", environ={}), transports={})
    transport = ConsoleTransport(app, "console", {}, out=out)
    await transport.send("console:lobby", RICH, None)
    assert out.getvalue().splitlines() == [
        "[lobby] chatops: Incident Commander: @alice",
        "    Severity  Sev1",
        "    Status    investigating",
        "    [Acknowledge: !page ack P-17]",
    ]


async def test_the_flags_plugin_runs_in_the_console_and_its_button_is_the_printed_command(
    tmp_path: Any, flag_service: FlagService
) -> None:
    out = io.StringIO()
    config = load_config(
        None, db_url=f"sqlite:///{tmp_path / 'c.db'}", environ={}, overrides=flag_service.config()
    )
    app = App(config, extra_plugins=FLAGS_PLUGIN, transports={})
    console = app.transports["console"] = ConsoleTransport(app, "console", {"interactive": False}, out=out)
    await app.start()
    try:
        await console.say("alice", "lobby", f"!flag off {FLAG}")
        asked = out.getvalue().splitlines()
        assert asked == [f"[lobby] chatops: {FLAG_ASK}", f"    [Confirm: !flag off {FLAG} --confirm]"]
        assert flag_service.calls == []
        press = re.fullmatch(r"    \[Confirm: (.+)\]", asked[-1])
        assert press is not None
        await console.say("alice", "lobby", press.group(1))  # the console's button: type its command
        assert out.getvalue().splitlines()[len(asked) :] == [f"[lobby] chatops: {FLAG_DONE}"]
        assert flag_service.calls == [Call("PUT", FLAG, {"enabled": False})]
    finally:
        await app.stop()


def test_chat_model_round_trips_through_json() -> None:
    assert from_json(json.loads(json.dumps(to_json(RICH)))) == RICH
    room = Room(id="matrix:!abc:example.org", name="lobby")
    assert Room.model_validate_json(room.model_dump_json()) == room
    assert room.transport == "matrix"

"""A plugin that raises or hangs is isolated, reported, and the bot keeps serving."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from chatops import CommandGroup, hookimpl
from chatops.events import DomainEvent
from chatops.storage.db import Tx
from chatops.testing import Harness

broken = CommandGroup("broken", help="misbehaving commands")


@broken.command("raise")
async def raises(ctx: Any) -> None:
    raise RuntimeError("database password is hunter2")


@broken.command("hang")
async def hangs(ctx: Any) -> None:
    await asyncio.Event().wait()


class BrokenCommands:
    @hookimpl
    def chatops_commands(self) -> list[CommandGroup]:
        return [broken]


class RaisingObservers:
    """Fails in every observer hook; other plugins must not notice."""

    @hookimpl
    async def chatops_event_recorded(self, tx: Tx, event: DomainEvent) -> None:
        from sqlalchemy import text

        await tx.execute(text("CREATE TABLE IF NOT EXISTS scratch (x INTEGER)"))
        raise RuntimeError("observer bug")

    @hookimpl
    async def chatops_event_committed(self, app: Any, event: DomainEvent) -> None:
        raise RuntimeError("observer bug")

    @hookimpl
    async def chatops_incident_status_lines(self, app: Any, incident: Any) -> list[str]:
        raise RuntimeError("status bug")


class HangingStartup:
    @hookimpl
    async def chatops_startup(self, app: Any) -> None:
        await asyncio.Event().wait()


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return {"hook_timeout_s": 1.0}  # short enough for a test, long enough for a loaded CI machine


async def test_a_raising_command_is_reported_by_plugin_name_and_the_bot_keeps_serving(
    chat_factory: Any, register_plugin: Any, caplog: pytest.LogCaptureFixture
) -> None:
    register_plugin(BrokenCommands(), "broken-plugin")
    chat: Harness = await chat_factory()
    with caplog.at_level(logging.ERROR):
        reply = await chat.reply("!broken raise")
    assert (
        reply
        == "The broken-plugin plugin failed (command broken raise); the error is logged and the rest carried on."
    )
    assert "hunter2" not in reply
    assert "RuntimeError" in caplog.text
    assert (await chat.reply("!incident declare still works")).startswith("INC-1 declared")


async def test_a_hanging_command_times_out_and_the_bot_keeps_serving(
    chat_factory: Any, register_plugin: Any
) -> None:
    register_plugin(BrokenCommands(), "broken-plugin")
    chat: Harness = await chat_factory()
    reply = await chat.reply("!broken hang")
    assert (
        reply == "The broken-plugin plugin did not answer in time (command broken hang); the rest carried on."
    )
    assert (await chat.reply("!incident declare still works")).startswith("INC-1 declared")


async def test_failing_observers_roll_back_alone_and_the_incident_is_stored(
    chat_factory: Any, register_plugin: Any
) -> None:
    register_plugin(RaisingObservers(), "raising")
    chat: Harness = await chat_factory()
    reply = await chat.reply("!incident declare Checkout errors --sev 1", user="alice")
    assert reply.startswith("INC-1 declared")
    # The severity plugin's in-transaction observer still armed the reminder.
    assert await chat.app.scheduler.pending("incident:1:update-due") is not None
    async with chat.app.db.read() as conn:
        from sqlalchemy import inspect

        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert "scratch" not in tables  # the failing observer's write was rolled back
    assert "IC @alice" in await chat.reply("!incident status", room="inc-1-checkout-errors")


async def test_a_hanging_startup_hook_does_not_stop_the_bot(chat_factory: Any, register_plugin: Any) -> None:
    register_plugin(HangingStartup(), "slow-start")
    chat: Harness = await chat_factory()
    assert chat.app.started
    assert (await chat.reply("!incident declare x")).startswith("INC-1 declared")


async def test_a_plugin_that_cannot_be_imported_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    from chatops import plugins

    bad = EntryPoint(name="ghost", value="chatops_no_such_module", group=plugins.ENTRY_POINT_GROUP)
    real = plugins.entry_points
    monkeypatch.setattr(plugins, "entry_points", lambda group: [*real(group=group), bad])
    report = plugins.load_plugins(plugins.new_plugin_manager())
    assert "ghost" in report.failed and "ModuleNotFoundError" in report.failed["ghost"]
    assert "incident" in report.loaded


class Lifecycle:
    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    async def chatops_startup(self, app: Any) -> None:
        self.calls.append("startup")

    @hookimpl
    async def chatops_shutdown(self, app: Any) -> None:
        self.calls.append("shutdown")


async def test_startup_and_shutdown_hooks_bracket_the_app(chat_factory: Any, register_plugin: Any) -> None:
    plugin = Lifecycle()
    register_plugin(plugin, "lifecycle")
    chat: Harness = await chat_factory()
    assert plugin.calls == ["startup"]
    await chat.close()
    assert plugin.calls == ["startup", "shutdown"]

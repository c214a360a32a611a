"""Hooks: awaited one plugin at a time, first-result on awaited values, each plugin isolated."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from chatops.hooks import HookRunner, PluginFailure
from chatops.hookspecs import hookimpl
from chatops.plugins import new_plugin_manager
from chatops.watchdog import Watchdog


class Returns:
    def __init__(self, value: Any) -> None:
        self.value = value

    @hookimpl
    async def chatops_severity_scale(self, app: Any) -> Any:
        return self.value

    @hookimpl
    async def chatops_export(self, app: Any) -> Any:
        return self.value


class Raises:
    @hookimpl
    async def chatops_export(self, app: Any) -> Any:
        raise RuntimeError("boom")


class Hangs:
    @hookimpl
    async def chatops_export(self, app: Any) -> Any:
        await asyncio.Event().wait()


class SyncValue:
    @hookimpl
    def chatops_export(self, app: Any) -> Any:
        return {"sync": True}


def runner(*plugins: object, timeout: float = 5.0) -> HookRunner:
    pm = new_plugin_manager()
    for index, plugin in enumerate(plugins):
        pm.register(plugin, name=f"p{index}")
    return HookRunner(pm, Watchdog(timeout))


async def test_first_result_skips_awaited_none() -> None:
    # pluggy alone would stop at the first coroutine object; we await each one.
    hooks = runner(Returns("second"), Returns(None))  # registered last is called first
    assert await hooks.call_first("chatops_severity_scale", app=None) == "second"


async def test_collected_results_mix_sync_and_async_implementations() -> None:
    hooks = runner(Returns({"a": 1}), SyncValue())
    assert await hooks.call("chatops_export", app=None) == [{"sync": True}, {"a": 1}]


async def test_a_raising_plugin_is_reported_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures: list[PluginFailure] = []

    async def sink(failure: PluginFailure) -> None:
        failures.append(failure)

    hooks = runner(Returns({"ok": 1}), Raises(), Returns({"ok": 2}))
    with caplog.at_level(logging.ERROR):
        results = await hooks.call("chatops_export", on_failure=sink, app=None)
    assert results == [{"ok": 2}, {"ok": 1}]
    assert [f.plugin for f in failures] == ["p1"]
    assert "p1" in failures[0].describe() and "failed" in failures[0].describe()
    assert "boom" in caplog.text


async def test_a_hanging_plugin_times_out_and_the_others_still_run() -> None:
    failures: list[PluginFailure] = []

    async def sink(failure: PluginFailure) -> None:
        failures.append(failure)

    hooks = runner(Returns({"ok": 1}), Hangs(), timeout=0.05)
    results = await hooks.call("chatops_export", on_failure=sink, app=None)
    assert results == [{"ok": 1}]
    assert failures[0].timed_out and "did not answer in time" in failures[0].describe()


class Signals:
    def __init__(self) -> None:
        self.waiting = asyncio.Event()

    @hookimpl
    async def chatops_export(self, app: Any) -> Any:
        self.waiting.set()
        await asyncio.Event().wait()


async def test_an_outside_cancellation_is_not_mistaken_for_a_timeout() -> None:
    plugin = Signals()
    hooks = runner(plugin, timeout=10)
    task = asyncio.create_task(hooks.call("chatops_export", app=None))
    await plugin.waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_one_watchdog_timer_serves_many_calls() -> None:
    watchdog = Watchdog(10)
    tokens = [watchdog.arm() for _ in range(100)]
    assert watchdog._handle is not None
    handle = watchdog._handle
    assert all(not watchdog.disarm(t) for t in tokens)
    assert watchdog._handle is handle  # no timer per call


async def test_tracing_logs_each_hook_call(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CHATOPS_TRACE_HOOKS", "1")
    hooks = runner(Returns({"a": 1}))
    with caplog.at_level(logging.WARNING, logger="chatops.hooks"):
        await hooks.call("chatops_export", app=None)
    assert "hook chatops_export [p0]" in caplog.text and " ms" in caplog.text


class Swallows:
    @hookimpl
    async def chatops_export(self, app: Any) -> Any:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            return {"pretending": "all is well"}


async def test_a_plugin_that_swallows_its_cancellation_is_still_reported_as_timed_out() -> None:
    failures: list[PluginFailure] = []

    async def sink(failure: PluginFailure) -> None:
        failures.append(failure)

    hooks = runner(Swallows(), timeout=0.05)
    assert await hooks.call("chatops_export", on_failure=sink, app=None) == []
    assert failures[0].timed_out
    current = asyncio.current_task()
    assert current is not None and current.cancelling() == 0


async def test_nested_overruns_each_time_out() -> None:
    hooks = runner(timeout=0.05)

    async def inner() -> None:
        await asyncio.Event().wait()

    async def outer() -> str:
        _, failure = await hooks.guarded("inner", "inner", inner)
        assert failure is not None and failure.timed_out
        await asyncio.Event().wait()  # the outer call overruns too
        return "never"

    _, failure = await hooks.guarded("outer", "outer", outer)
    assert failure is not None and failure.timed_out and failure.plugin == "outer"

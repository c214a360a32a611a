"""Calling pluggy hooks from asyncio, one isolated plugin at a time.

pluggy's own call is synchronous: with ``async def`` implementations its
``firstresult`` stops at the first coroutine, and one exception aborts the
call for every later plugin.  ``HookRunner`` walks the implementations
itself (in pluggy's call order), awaits each result, applies first-result
semantics to awaited values, and isolates each plugin: an exception or a
timeout is logged and handed to ``on_failure``; the others still run.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy

from chatops.context import UserError
from chatops.watchdog import Watchdog

log = logging.getLogger("chatops.hooks")


@dataclass(frozen=True, slots=True)
class PluginFailure:
    """One plugin's failure in one hook call or command."""

    plugin: str
    where: str
    error: BaseException | None  # None for a timeout
    timed_out: bool = False

    def describe(self) -> str:
        if self.timed_out:
            return f"The {self.plugin} plugin did not answer in time ({self.where}); the rest carried on."
        return f"The {self.plugin} plugin failed ({self.where}); the error is logged and the rest carried on."


FailureSink = Callable[[PluginFailure], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Impl:
    plugin: str
    function: Callable[..., Any]
    argnames: tuple[str, ...]


class HookRunner:
    """Call hooks on a pluggy manager with per-plugin isolation and a time bound."""

    def __init__(self, pm: pluggy.PluginManager, watchdog: Watchdog) -> None:
        self.pm = pm
        self.watchdog = watchdog
        self.trace = os.environ.get("CHATOPS_TRACE_HOOKS", "") not in ("", "0", "false")
        self._impls: dict[str, list[_Impl]] = {}
        self.startup_failures: list[str] = []

    def impls(self, name: str) -> list[_Impl]:
        cached = self._impls.get(name)
        if cached is None:
            caller = getattr(self.pm.hook, name)
            cached = [
                _Impl(
                    plugin=impl.plugin_name,
                    function=impl.function,
                    argnames=tuple(impl.argnames),
                )
                for impl in reversed(caller.get_hookimpls())
            ]
            self._impls[name] = cached
        return cached

    async def guarded(
        self,
        plugin: str,
        where: str,
        function: Callable[..., Any],
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        answers: bool = False,
    ) -> tuple[Any, PluginFailure | None]:
        """Run one plugin callable, awaiting it under the watchdog; failures are returned.

        With ``answers`` (command handlers, and hooks that may refuse a command)
        a ``UserError`` propagates: it is the answer to the person.  Elsewhere
        (timers, observers) it is a plugin failure like any other exception.
        """
        start = time.perf_counter() if self.trace else 0.0
        token: int | None = None
        try:
            result = function(*args, **(kwargs or {}))
            if inspect.isawaitable(result):
                token = self.watchdog.arm()
                try:
                    result = await result
                except asyncio.CancelledError:
                    if not self._timed_out(token):
                        raise
                    return None, self._timeout(plugin, where)
                finally:
                    expired = self.watchdog.disarm(token)
                if expired and self._timed_out(None):  # the plugin swallowed its cancellation
                    return None, self._timeout(plugin, where)
            return result, None
        except UserError as exc:
            if answers:
                raise
            return None, self._failed(plugin, where, exc)
        except Exception as exc:
            return None, self._failed(plugin, where, exc)
        finally:
            if self.trace:
                log.warning("hook %s [%s] %.3f ms", where, plugin, (time.perf_counter() - start) * 1e3)

    def _timed_out(self, token: int | None) -> bool:
        """After our own cancellation: absorb it, unless someone else cancelled the task too."""
        if token is not None and not self.watchdog.disarm(token):
            return False
        task = asyncio.current_task()
        if task is not None and task.uncancel() > 0:
            raise asyncio.CancelledError  # an outside cancellation arrived as well: honour it
        return True

    @staticmethod
    def _timeout(plugin: str, where: str) -> PluginFailure:
        log.error("plugin %s timed out in %s", plugin, where)
        return PluginFailure(plugin, where, None, timed_out=True)

    @staticmethod
    def _failed(plugin: str, where: str, exc: BaseException) -> PluginFailure:
        log.error("plugin %s failed in %s", plugin, where, exc_info=exc)
        return PluginFailure(plugin, where, exc)

    async def call(
        self, name: str, on_failure: FailureSink | None = None, answers: bool = False, **kwargs: Any
    ) -> list[Any]:
        """Collected hook: every plugin's non-None result, in call order."""
        results: list[Any] = []
        for impl in self.impls(name):
            value, failure = await self.guarded(
                impl.plugin, name, impl.function, [kwargs[a] for a in impl.argnames], answers=answers
            )
            if failure is not None:
                if on_failure is not None:
                    await on_failure(failure)
            elif value is not None:
                results.append(value)
        return results

    async def call_first(self, name: str, on_failure: FailureSink | None = None, **kwargs: Any) -> Any:
        """First-result hook: the first non-None awaited value, or None."""
        for impl in self.impls(name):
            value, failure = await self.guarded(
                impl.plugin, name, impl.function, [kwargs[a] for a in impl.argnames]
            )
            if failure is not None:
                if on_failure is not None:
                    await on_failure(failure)
            elif value is not None:
                return value
        return None

    def call_sync(self, name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Collected synchronous start-up hook: ``(plugin, result)`` pairs.

        A plugin that raises here is logged and left out; the app reports it
        in ``chatops plugins``.  Start-up hooks must not be coroutines.
        """
        results: list[tuple[str, Any]] = []
        for impl in self.impls(name):
            try:
                value = impl.function(*[kwargs[a] for a in impl.argnames])
            except Exception as exc:
                log.exception("plugin %s failed in %s", impl.plugin, name)
                self.startup_failures.append(f"{impl.plugin}: {name} raised {type(exc).__name__}: {exc}")
                continue
            if inspect.isawaitable(value):
                raise TypeError(f"{impl.plugin}: hook {name} must be synchronous")
            if value is not None:
                results.append((impl.plugin, value))
        return results

    def call_first_sync(self, name: str, **kwargs: Any) -> Any:
        for _plugin, value in self.call_sync(name, **kwargs):
            return value
        return None


class PluginConflict(Exception):
    """Two plugins declared the same name (a transport, a timer kind, a command)."""


def merge_unique(parts: Sequence[tuple[str, dict[str, Any]]], what: str) -> dict[str, Any]:
    """Merge ``(plugin, {name: value})`` pairs; a name claimed twice is an error naming both."""
    merged: dict[str, Any] = {}
    owners: dict[str, str] = {}
    for plugin, part in parts:
        for key, value in part.items():
            if key in merged:
                raise PluginConflict(f"{what} {key!r} is declared by both {owners[key]} and {plugin}")
            merged[key], owners[key] = value, plugin
    return merged

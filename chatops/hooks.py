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

    def invalidate(self) -> None:
        """Forget cached implementation lists (after plugins are (un)registered)."""
        self._impls.clear()

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
        self, plugin: str, where: str, function: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> tuple[Any, PluginFailure | None]:
        """Run one plugin callable, awaiting it under the watchdog.

        Exceptions become a ``PluginFailure`` except ``UserError``, which is a
        refusal meant for the person and propagates to the command layer.
        """
        start = time.perf_counter() if self.trace else 0.0
        token: int | None = None
        try:
            result = function(*args, **kwargs)
            if inspect.isawaitable(result):
                token = self.watchdog.arm()
                result = await result
            return result, None
        except asyncio.CancelledError:
            if token is not None and self.watchdog.disarm(token):
                token = None
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
                log.error("plugin %s timed out in %s", plugin, where)
                return None, PluginFailure(plugin, where, None, timed_out=True)
            raise
        except UserError:
            raise  # a deliberate answer to the person, not a plugin failure
        except Exception as exc:
            log.exception("plugin %s failed in %s", plugin, where)
            return None, PluginFailure(plugin, where, exc)
        finally:
            if token is not None:
                self.watchdog.disarm(token)
            if self.trace:
                log.warning("hook %s [%s] %.3f ms", where, plugin, (time.perf_counter() - start) * 1e3)

    async def call(self, name: str, on_failure: FailureSink | None = None, **kwargs: Any) -> list[Any]:
        """Collected hook: every plugin's non-None result, in call order."""
        results: list[Any] = []
        for impl in self.impls(name):
            value, failure = await self.guarded(
                impl.plugin, name, impl.function, *[kwargs[a] for a in impl.argnames]
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
                impl.plugin, name, impl.function, *[kwargs[a] for a in impl.argnames]
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
            except Exception:
                log.exception("plugin %s failed in %s", impl.plugin, name)
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


def merge_dicts(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged

"""Per-app state for plugins: one object per running App, made on first use.

Plugins are modules, loaded once, while tests (and a process running
several bots) start many Apps; state that belongs to one App (a background
task, a batcher) hangs off it here and goes away with it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from chatops.app import App

T = TypeVar("T")


def per_app(factory: Callable[[App], T]) -> Callable[[App], T]:
    """``sync_of = per_app(Sync)``; ``sync_of(app)`` is that app's one ``Sync``."""
    made: weakref.WeakKeyDictionary[App, T] = weakref.WeakKeyDictionary()

    def of(app: App) -> T:
        found = made.get(app)
        if found is None:
            found = made[app] = factory(app)
        return found

    return of

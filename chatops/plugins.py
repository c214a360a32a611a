"""Finding and registering plugins.

Built-in plugins load exactly like third-party ones: through the
``chatops.plugins`` entry-point group.  Config can disable any of them;
tests and embedders can pass extra plugin objects.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points

import pluggy

from chatops import hookspecs

log = logging.getLogger("chatops.plugins")
ENTRY_POINT_GROUP = "chatops.plugins"


@dataclass
class PluginReport:
    """What was loaded, what was disabled, and what failed to import."""

    loaded: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)


def new_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def load_plugins(
    pm: pluggy.PluginManager,
    disabled: Iterable[str] = (),
    extra: Iterable[tuple[str, object]] = (),
) -> PluginReport:
    """Register every entry-point plugin not in ``disabled``, then ``extra``.

    An extra plugin under an installed one's name replaces it (a test of a
    plugin that is also installed), or is skipped when it is the same object.
    """
    report = PluginReport()
    skip = set(disabled)
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in skip:
            report.disabled.append(ep.name)
            continue
        if pm.has_plugin(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # an unimportable plugin must not stop the bot
            log.exception("plugin %s could not be imported", ep.name)
            report.failed[ep.name] = f"{type(exc).__name__}: {exc}"
            continue
        pm.register(plugin, name=ep.name)
        report.loaded.append(ep.name)
        if ep.dist is not None:
            report.versions[ep.name] = f"{ep.dist.name} {ep.dist.version}"
    for name, plugin in extra:
        installed = pm.get_plugin(name)
        if installed is plugin:
            continue  # a test registers the plugin that is also installed: load it once
        if installed is not None:  # a test's own copy stands in for the installed one
            pm.unregister(name=name)
            report.loaded.remove(name)
            report.versions.pop(name, None)
        pm.register(plugin, name=name)
        report.loaded.append(name)
    return report

"""The host: plugins, config, storage, scheduler, commands, transports — wired once.

``App`` knows nothing of incidents or of any platform.  It loads plugins,
validates their config sections, runs migrations, builds the command table
and the transports the config names, and offers plugins the services they
share: ``db``, ``clock``, ``scheduler``, ``outbound``, ``hooks``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from chatops.background import Background
from chatops.bridges import Bridges
from chatops.buttons import ButtonRegistry
from chatops.clock import Clock
from chatops.commands.registry import CommandRegistry
from chatops.config import Config, ConfigError
from chatops.cursors import Cursors
from chatops.deliveries import Deliveries
from chatops.dispatch import Dispatcher
from chatops.events import DomainEvent
from chatops.hooks import HookRunner, merge_unique
from chatops.leadership import Leadership
from chatops.outbound import Outbound
from chatops.plugins import PluginReport, load_plugins, new_plugin_manager
from chatops.scheduler import Scheduler
from chatops.storage import migrate
from chatops.storage.db import Database, SavepointTx, Tx
from chatops.storage.single_writer import AlreadyServing, SingleWriter
from chatops.storage.tables import events, outbox, timers
from chatops.transports.base import Transport, TransportFactory
from chatops.watchdog import Watchdog

log = logging.getLogger("chatops.app")


class App:
    def __init__(
        self,
        config: Config,
        *,
        clock: Clock | None = None,
        extra_plugins: Iterable[tuple[str, object]] = (),
        transports: dict[str, Transport] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or Clock()
        self.tz = ZoneInfo(config.core.timezone)
        self.pm = new_plugin_manager()
        self.plugin_report: PluginReport = load_plugins(self.pm, config.core.plugins.disabled, extra_plugins)
        self.hooks = HookRunner(self.pm, Watchdog(config.core.hook_timeout_s))
        self._bind_config()
        self.db = Database(
            config.core.database.url,
            synchronous=config.core.database.synchronous,
            app=self,
            job_timeout=config.core.hook_timeout_s,
        )
        self.commands = self._build_commands()
        self.scheduler = Scheduler(self)
        timer_parts = self.hooks.call_sync("chatops_timer_handlers")
        self.scheduler.handlers = merge_unique(timer_parts, "timer kind")
        self.scheduler.owners = {kind: plugin for plugin, part in timer_parts for kind in part}
        self.outbound = Outbound(self)
        self.bridges = Bridges(self)
        self.cursors = Cursors(self)
        self.buttons = ButtonRegistry(self)
        self.transport_types: dict[str, TransportFactory] = merge_unique(
            self.hooks.call_sync("chatops_transport_types"), "transport"
        )
        self.transports: dict[str, Transport] = (
            dict(transports) if transports is not None else self._build_transports()
        )
        self.dispatcher = Dispatcher(self)
        self.background = Background()
        self.deliveries = Deliveries(self)
        self.started = False
        self._single_writer: SingleWriter | None = None
        self.leadership: Leadership | None = None
        self.serving = False  # running transports and timers (on PostgreSQL: holding the lease)
        self.serving_started = asyncio.Event()  # set while serving: a standby waits on it to take over

    # --- assembly ---

    def _bind_config(self) -> None:
        models: dict[str, Any] = {}
        owners: dict[str, str] = {}
        for plugin, found in self.hooks.call_sync("chatops_config_models"):
            for section, model in found.items():
                if section in models:
                    raise ConfigError(
                        self.config.source, section, f"claimed by both {owners[section]} and {plugin}"
                    )
                models[section], owners[section] = model, plugin
        self.config.bind_sections(models)

    def _build_commands(self) -> CommandRegistry:
        registry = CommandRegistry()
        for plugin, items in self.hooks.call_sync("chatops_commands"):
            for item in items:
                registry.add(plugin, item)
        return registry

    def _build_transports(self) -> dict[str, Transport]:
        built: dict[str, Transport] = {}
        for name, settings in self.config.core.transports.items():
            factory = self.transport_types.get(name)
            if factory is None:
                known = ", ".join(sorted(self.transport_types)) or "none"
                raise ConfigError(
                    self.config.source,
                    f"transports.{name}",
                    "no such transport",
                    f"known transports: {known} (install the matching extra, e.g. chatops[{name}])",
                )
            built[name] = factory(self, name, settings or {})
        return built

    def migration_locations(self) -> list[str]:
        return [loc for _p, locs in self.hooks.call_sync("chatops_migration_locations") for loc in locs]

    def section(self, name: str) -> Any:
        """A plugin's validated config section."""
        return self.config.section(name)

    # --- lifecycle ---

    async def upgrade_database(self) -> None:
        await migrate.upgrade(self.db, self.migration_locations())

    async def start(self, *, start_transports: bool = True, lease: bool = False) -> None:
        """Migrate (or check), start the plugins, then serve.

        ``lease`` (``chatops run``): on PostgreSQL, serve only while holding the
        serving lease, so that replicas take turns (``chatops.leadership``);
        otherwise stand by.  A shell, a test or a one-off command does not compete.
        """
        auto = self.config.core.database.auto_migrate
        if auto is None:
            auto = self.db.dialect == "sqlite"
        if auto:
            await self.upgrade_database()
        else:
            todo = await migrate.pending(self.db, self.migration_locations())
            if todo:
                raise ConfigError(
                    self.config.source,
                    "database",
                    f"{len(todo)} migration(s) not applied",
                    "back up the database, then run: chatops db upgrade",
                )
        await self.hooks.call("chatops_startup", app=self)
        self.started = True
        if not start_transports:
            return  # a one-off command (export, report): it reads; it neither sends nor fires timers
        database = self.db.sqlite_path()
        if database is not None:
            self._single_writer = SingleWriter(database)
            try:
                self._single_writer.acquire()
            except AlreadyServing as exc:
                self._single_writer = None
                raise ConfigError(self.config.source, "database", str(exc)) from None
        if lease and self.db.dialect == "postgresql":  # replicas share the database: one serves at a time
            self.leadership = Leadership(self.db.url, self._serve, self._stand_down)
            await self.leadership.start()
        else:
            await self._serve()

    @property
    def replicated(self) -> bool:
        """Whether other processes may serve this database (PostgreSQL: replicas), so that
        inbound commands a takeover replays are claimed in it."""
        return self.db.dialect == "postgresql"

    async def _serve(self) -> None:
        """Run the transports, deliver what waits in the outbox, fire timers."""
        self.background.open()
        await self.bridges.load()  # before any message: each must know its bridge
        for transport in self.transports.values():
            await transport.start()
        self.serving = True
        await self.outbound.deliver_pending()
        self.scheduler.start()
        if not self.clock.fake:
            await self.scheduler.fire_due()
        await self.deliveries.kick()
        await self.hooks.call("chatops_serving", app=self)
        self.serving_started.set()

    async def _stand_down(self) -> None:
        """Stop acting on the world (timers, deliveries) at once, let bounded work in progress finish
        (a mitigation run, in-flight replies), then disconnect the transports."""
        was_serving, self.serving = self.serving, False
        self.serving_started.clear()
        if was_serving:
            await self.hooks.call("chatops_standing_down", app=self)
        await self.scheduler.stop()
        await self.deliveries.stop()
        await self.background.close()  # each piece bounds itself; cut off, its outcome would be unknown
        await self.outbound.stop()
        for transport in self.transports.values():
            try:
                await transport.stop()
            except Exception:
                log.exception("transport %s did not stop cleanly", transport.name)

    async def stop(self) -> None:
        if self.leadership is not None:
            await self.leadership.stop()  # stands down if serving, then releases the lease
            self.leadership = None
        else:
            await self._stand_down()
        if self.started:
            await self.hooks.call("chatops_shutdown", app=self)
        self.started = False
        await self.db.close()
        if self._single_writer is not None:
            self._single_writer.release()
            self._single_writer = None

    async def advance(self, delta: timedelta) -> None:
        """Move a fake clock forward: each due timer fires, each due delivery is tried, at its own time."""
        clock = self.clock
        if not clock.fake:
            raise RuntimeError("only a fake clock can be advanced")
        target = clock.now() + delta
        while True:
            found = [d for d in (await self.scheduler.next_due(), await self.deliveries.next_due()) if d]
            due = min(found, default=None)
            if due is None or due > target:
                break
            if due > clock.now():
                clock.set(due)  # type: ignore[attr-defined]
            await self.scheduler.fire_due()
            await self.deliveries.run_due()  # and retries of deliveries, each at its own time
        clock.set(target)  # type: ignore[attr-defined]

    async def latest_stored_time(self) -> datetime | None:
        """The latest time anything stored was recorded at (a fake clock may not start earlier)."""
        async with self.db.read() as conn:
            candidates = [
                await conn.scalar(select(func.max(events.c.at))),
                await conn.scalar(select(func.max(timers.c.created_at))),
                await conn.scalar(select(func.max(timers.c.fired_at))),
                await conn.scalar(select(func.max(outbox.c.created_at))),
            ]
        found = [c for c in candidates if c is not None]
        if not found:
            return None
        return max(found)

    # --- domain events ---

    async def observe_recorded(self, tx: Tx, event: DomainEvent) -> None:
        """In-transaction observers, each in its own (lazy) savepoint: a failure is rolled back alone."""
        for impl in self.hooks.impls("chatops_event_recorded"):
            scoped = SavepointTx(tx)
            args = {"tx": scoped, "event": event}
            _, failure = await self.hooks.guarded(
                impl.plugin, "chatops_event_recorded", impl.function, [args[a] for a in impl.argnames]
            )
            await scoped.finish(ok=failure is None)
            if failure is not None:
                log.error("%s; its writes for %s were rolled back", failure.describe(), event.kind)

    async def observe_committed(self, event: DomainEvent) -> None:
        await self.hooks.call("chatops_event_committed", app=self, event=event)

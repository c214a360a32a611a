"""The ``chatops`` command line.

Every command takes ``--config FILE`` and ``--db URL``; precedence is
flag > ``CHATOPS_*`` environment > config file > default.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from chatops import __version__
from chatops.app import App
from chatops.clock import FakeClock
from chatops.commands.registry import CommandConflict
from chatops.config import Config, ConfigError, load_config
from chatops.context import UserError
from chatops.hooks import PluginConflict
from chatops.plugins import load_plugins, new_plugin_manager
from chatops.storage.db import DatabaseURLError, redact
from chatops.timefmt import iso_utc
from chatops.transports.base import TransportError

EXPORT_SCHEMA = "chatops.export/1"


class CliError(Exception):
    """A problem the user can fix; printed without a traceback (exit code 2)."""


def _common(parser: argparse.ArgumentParser, defaults: bool) -> None:
    suppress = None if defaults else argparse.SUPPRESS
    parser.add_argument("--config", metavar="FILE", default=suppress, help="YAML config file")
    parser.add_argument(
        "--db", metavar="URL", default=suppress, help="database URL (sqlite:///… or postgresql://…)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", default=suppress or False, help="log more")


@functools.cache
def plugin_commands() -> dict[str, Any]:
    """Subcommands the installed plugins add (``chatops_cli_commands``), found without a config.

    A plugin that fails here is reported and skipped: the core commands (``db upgrade``, ``run``)
    must keep working whatever a plugin does.
    """
    found: dict[str, Any] = {}
    try:
        pm = new_plugin_manager()
        load_plugins(pm)
        parts = pm.hook.chatops_cli_commands()
    except Exception as exc:  # a plugin that cannot even load
        print(f"chatops: plugin commands unavailable: {exc}", file=sys.stderr)
        return found
    for part in parts:
        for name, command in (part or {}).items():
            if name in found or name in COMMANDS:
                print(f"chatops: the command {name!r} is offered twice; ignoring the second", file=sys.stderr)
                continue
            found[name] = command
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatops", description="Incident response in chat.")
    parser.add_argument("--version", action="version", version=f"chatops {__version__}")
    _common(parser, defaults=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    shell = sub.add_parser("shell", help="chat in the terminal (SQLite, no accounts, no servers)")
    shell.add_argument(
        "--script", metavar="FILE", help="read lines from FILE ('-' for stdin) and exit at the end"
    )
    shell.add_argument("--fake-clock", metavar="ISO8601", help="start a fake clock (moved with :advance)")
    for name, text in (
        ("run", "start the transports and web server named in the config"),
        ("check-config", "validate the configuration"),
        ("plugins", "list loaded plugins, their hooks and commands"),
        ("export", "all incidents as JSON on stdout"),
    ):
        sub.add_parser(name, help=text)
    slack = sub.add_parser("slack", help="Slack app setup")
    slack.add_argument(
        "action", choices=["manifest"], help="print the app manifest (YAML) to paste into Slack"
    )
    slack.add_argument("--mode", choices=["socket", "http"], help="default: the config's, else socket")
    slack.add_argument(
        "--url", metavar="URL", help="HTTP mode: this server's public URL, e.g. https://ops.example.org"
    )
    slack.add_argument("--name", default="chatops", help="the app's name in Slack")
    report = sub.add_parser("report", help="a report from a plugin: incidents, actions, …")
    report.add_argument("name", help="which report (chatops report list shows them)")
    report.add_argument("--since", metavar="DATE", help="from this day on (2026-01-01)")
    report.add_argument("--format", choices=["md", "json", "html"], default="md")
    report.add_argument("--out", metavar="DIR", help="write the report (and any charts) into DIR")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="apply pending migrations (back up first)")
    for name, command in plugin_commands().items():
        try:
            command.configure(sub.add_parser(name, help=command.help))
        except Exception as exc:
            print(f"chatops: the {name!r} command is unavailable: {exc}", file=sys.stderr)
    for child in sub.choices.values():
        _common(child, defaults=False)
    return parser


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.config, db_url=args.db)


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def _with_app(
    args: argparse.Namespace, work: Callable[[App], Awaitable[int]], *, start: bool = True, **app_kwargs: Any
) -> int:
    app = App(_config(args), **app_kwargs)
    try:
        if start:
            await app.start(start_transports=False)
        return await work(app)
    finally:
        await app.stop()


async def cmd_shell(args: argparse.Namespace) -> int:
    from chatops.shell import ConsoleSession, UnknownDirective, interactive, run_script
    from chatops.transports.console import ConsoleTransport

    clock = None
    if args.fake_clock:
        try:
            start = datetime.fromisoformat(args.fake_clock.replace("Z", "+00:00"))
        except ValueError:
            raise CliError(
                f"--fake-clock {args.fake_clock!r} is not ISO 8601; use e.g. 2026-03-02T14:00:00Z"
            ) from None
        if start.tzinfo is None:
            raise CliError("--fake-clock needs a timezone, e.g. 2026-03-02T14:00:00Z or +01:00")
        clock = FakeClock(start)
    script: TextIO | None = None
    if args.script == "-":
        script = sys.stdin
    elif args.script:
        try:
            script = await asyncio.to_thread(open, args.script, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot read script {args.script}: {exc.strerror}") from None
    config = _config(args)
    app = App(config, clock=clock, transports={})
    # The shell reads the terminal itself; the transport must not start a second reader.
    settings = {**(config.core.transports.get("console") or {}), "interactive": False}
    console = ConsoleTransport(app, "console", settings)
    app.transports["console"] = console
    try:
        await app.start()
        if clock is not None:
            latest = await app.latest_stored_time()
            if latest is not None and clock.now() < latest:
                raise CliError(
                    f"--fake-clock {iso_utc(clock.now())} is before {iso_utc(latest)}, "
                    "the latest time already stored in this database. "
                    "Start the clock at or after it, or use another --db."
                )
        session = ConsoleSession(app, console, sys.stdout, echo=script is not None)
        if script is None:
            print(
                f"chatops {__version__} — console chat. You are 'you' in 'lobby'. "
                "!help for commands, :help for directives."
            )
            await interactive(session, sys.stdin)
        else:
            try:
                await run_script(session, script)
            except UnknownDirective as exc:
                raise CliError(str(exc)) from None
            except UnicodeDecodeError:
                raise CliError(f"script {args.script} is not UTF-8 text") from None
        return 0
    finally:
        if script is not None and script is not sys.stdin:
            script.close()
        await app.stop()


async def cmd_run(args: argparse.Namespace) -> int:
    from chatops.web import WebServer

    app = App(_config(args))
    web = WebServer(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await app.start(lease=True)
        settings = app.config.core.web
        if settings.enabled:
            port = await web.start(settings.host, settings.port)
            logging.getLogger("chatops").warning("web server on http://%s:%s", settings.host, port)
        await stop.wait()
        return 0
    finally:
        await web.stop()
        await app.stop()


async def cmd_check_config(args: argparse.Namespace) -> int:
    config = _config(args)
    app = App(config)
    try:
        report = app.plugin_report
        print(f"Config OK: {config.source}")
        print(f"  database: {_safe_url(config.core.database.url)}")
        print(f"  timezone: {config.core.timezone}")
        print(f"  transports: {', '.join(app.transports) or 'none'}")
        print(f"  plugins: {', '.join(report.loaded)}")
        if report.disabled:
            print(f"  disabled: {', '.join(report.disabled)}")
        for name, error in report.failed.items():
            print(f"  FAILED to import {name}: {error}")
        return 1 if report.failed else 0
    finally:
        await app.db.close()


async def cmd_plugins(args: argparse.Namespace) -> int:
    """Each plugin: where it comes from (distribution and version), its hooks, commands and config."""
    app = App(_config(args))
    try:
        sections: dict[str, list[str]] = {}
        for owner, models in app.hooks.call_sync("chatops_config_models"):
            sections.setdefault(owner, []).extend(
                f"{section} ({model.__name__}: {', '.join(model.model_fields) or 'no settings'})"
                for section, model in models.items()
            )
        every_command = [
            *app.commands.top.values(),
            *(c for g in app.commands.groups.values() for c in g.commands.values()),
        ]
        for plugin_name in app.plugin_report.loaded:
            plugin = app.pm.get_plugin(plugin_name)
            hooks = sorted(h.name for h in app.pm.get_hookcallers(plugin) or [])
            commands = sorted(c.full_name for c in every_command if c.plugin == plugin_name)
            print(f"{plugin_name} ({app.plugin_report.versions.get(plugin_name, 'registered in-process')})")
            print(f"  hooks: {', '.join(hooks) or '—'}")
            if commands:
                print(f"  commands: {', '.join(commands)}")
            for section in sections.get(plugin_name, []):
                print(f"  config: {section}")
        for name in app.plugin_report.disabled:
            print(f"{name} (disabled)")
        for name, error in app.plugin_report.failed.items():
            print(f"{name} (FAILED: {error})")
        return 0
    finally:
        await app.db.close()


async def cmd_export(args: argparse.Namespace) -> int:
    async def work(app: App) -> int:
        document: dict[str, Any] = {"schema": EXPORT_SCHEMA}
        for part in await app.hooks.call("chatops_export", app=app):
            document.update(part)
        document.setdefault("incidents", [])
        json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0

    return await _with_app(args, work, transports={})


async def cmd_report(args: argparse.Namespace) -> int:
    since: datetime | None = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            raise CliError(f"--since {args.since!r} is not a date; use e.g. 2026-01-01") from None

    async def work(app: App) -> int:
        nonlocal since
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=app.tz)  # a day in the app's timezone, as in chat
        makers: dict[str, Any] = {}
        for part in await app.hooks.call("chatops_reports", app=app):
            makers.update(part)
        if args.name == "list" or args.name not in makers:
            known = ", ".join(sorted(makers)) or "none (no plugin offers one)"
            if args.name != "list":
                raise CliError(f"no report {args.name!r}; reports: {known}")
            print(f"Reports: {known}")
            return 0
        out = Path(args.out) if args.out else None
        try:
            text = await makers[args.name](app, since, args.format, out)
        except UserError as exc:
            raise CliError(str(exc)) from None
        if out is None:
            sys.stdout.write(text)
        else:
            path = out / f"{args.name}.{args.format}"
            await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(path.write_text, text, encoding="utf-8")
            print(f"Wrote {path}")
        return 0

    return await _with_app(args, work, transports={})


async def cmd_db(args: argparse.Namespace) -> int:
    async def work(app: App) -> int:
        await app.upgrade_database()
        print(f"Database {_safe_url(app.config.core.database.url)} is up to date.")
        return 0

    return await _with_app(args, work, start=False, transports={})


async def cmd_slack(args: argparse.Namespace) -> int:
    from chatops.transports.slack.manifest import manifest

    config = _config(args)
    app = App(config, transports={})
    try:
        settings = config.core.transports.get("slack") or {}
        mode = args.mode or settings.get("mode", "socket")
        public_url = args.url or settings.get("public_url")
        if mode == "http" and not public_url:
            raise CliError("HTTP mode needs the URL Slack will post to: --url https://ops.example.org")
        document = manifest(
            app.commands,
            mode=mode,
            public_url=public_url,
            path=settings.get("path", "/slack"),
            slash_prefix=settings.get("slash_command_prefix", ""),
            app_name=args.name,
        )
        sys.stdout.write(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
        return 0
    finally:
        await app.db.close()


COMMANDS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "shell": cmd_shell,
    "run": cmd_run,
    "check-config": cmd_check_config,
    "plugins": cmd_plugins,
    "export": cmd_export,
    "report": cmd_report,
    "db": cmd_db,
    "slack": cmd_slack,
}


def _quiet_closed_loop_answers(hook_args: threading.ExceptHookArgs) -> None:
    """aiosqlite closes a connection that failed to open on its own thread, then answers on the
    event loop; when the command has already ended (the error reported, the loop closed) that
    answer fails with "Event loop is closed" and Python would print a traceback for it."""
    if (
        hook_args.exc_type is RuntimeError
        and "Event loop is closed" in str(hook_args.exc_value)
        and hook_args.thread is not None
        and "_connection_worker_thread" in hook_args.thread.name
    ):
        return
    threading.__excepthook__(hook_args)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    threading.excepthook = _quiet_closed_loop_answers
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command not in COMMANDS:  # a plugin's subcommand
            command = plugin_commands()[args.command]
            return asyncio.run(_with_app(args, lambda app: command.run(app, args), transports={}))
        return asyncio.run(COMMANDS[args.command](args))
    except (ConfigError, DatabaseURLError, PluginConflict, CommandConflict) as exc:
        print(f"chatops: configuration error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `chatops export | head`
        return 0
    except (OperationalError, InterfaceError) as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        print(
            f"chatops: cannot use the database: {redact(reason)} — check --db / database.url", file=sys.stderr
        )
        return 2
    except TransportError as exc:
        print(f"chatops: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"chatops: {exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"chatops: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

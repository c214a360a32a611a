"""The host's own plugin: ``!help`` and the built-in transports (console, Matrix, Slack, Discord).

Registered through the same entry point group as every other plugin.
"""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING, Any

from chatops.commands import help as helptext
from chatops.commands.declare import Arg, Command
from chatops.config import ConfigError
from chatops.context import CommandContext
from chatops.hookspecs import hookimpl
from chatops.transports.base import Transport, TransportFactory
from chatops.transports.console import ConsoleTransport

if TYPE_CHECKING:
    from chatops.app import App


async def help_command(ctx: CommandContext, topic: str | None = None) -> None:
    registry = ctx.app.commands
    prefix = ctx.app.dispatcher.prefix
    if topic is None:
        await ctx.reply(helptext.overview(registry, prefix))
        return
    text = helptext.topic(registry, prefix, topic)
    if text is None:
        near = difflib.get_close_matches(topic.lower(), registry.names(), n=1)
        hint = f' Did you mean "{prefix}help {near[0]}"?' if near else ""
        text = f'No help for "{topic}".{hint} See {prefix}help'
    await ctx.reply(text)


HELP = Command(
    name="help",
    handler=help_command,
    args=(Arg("topic", required=False, greedy=True),),
    help="list commands, or explain one",
    example="!help incident",
)


@hookimpl
def chatops_commands() -> list[Command]:
    return [HELP]


def _installed(module: str, class_name: str, extra: str) -> TransportFactory:
    """A transport imported only when a config names it, with the install hint when it is missing."""

    def build(app: App, name: str, config: dict[str, Any]) -> Transport:
        try:
            found: TransportFactory = getattr(importlib.import_module(module), class_name)
        except ImportError:
            raise ConfigError(
                app.config.source,
                f"transports.{name}",
                f"the {extra.capitalize()} transport is not installed",
                f"pip install 'chatops[{extra}]'",
            ) from None
        return found(app, name, config)

    return build


@hookimpl
def chatops_transport_types() -> dict[str, TransportFactory]:
    return {
        "console": ConsoleTransport,
        "matrix": _installed("chatops.transports.matrix.transport", "MatrixTransport", "matrix"),
        "slack": _installed("chatops.transports.slack.transport", "SlackTransport", "slack"),
        "discord": _installed("chatops.transports.discord.transport", "DiscordTransport", "discord"),
    }

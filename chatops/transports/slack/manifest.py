"""The Slack app manifest, generated from the declared commands (pure).

``chatops slack manifest`` prints it; pasting it into "Create New App →
From an app manifest" creates an app with one slash command per top-level
command, the scopes and events the transport uses, and the chosen mode.
"""

from __future__ import annotations

from typing import Any

from chatops.commands.registry import CommandRegistry

# Slack's own slash commands, which an app cannot take over.
BUILT_IN = frozenset(
    "active apps archive away collapse dm dnd expand feed help invite leave me msg mute open prefs "
    "remind rename search shortcuts shrug status topic who".split()
)

BOT_SCOPES = (
    "app_mentions:read",  # "@chatops incident list"
    "channels:history",  # !commands typed in public channels
    "channels:join",  # answering a slash command in a public channel the bot is not in yet
    "channels:manage",  # incident channels: create, invite, topic
    "channels:read",
    "chat:write",
    "commands",
    "groups:history",
    "groups:read",
    "groups:write",  # private incident channels
    "im:history",
    "im:read",
    "im:write",  # direct messages to role holders
    "pins:write",  # the pinned live status
    "users:read",  # people's names
)
BOT_EVENTS = ("app_mention", "message.channels", "message.groups", "message.im")


def slash_names(registry: CommandRegistry, prefix: str) -> dict[str, str]:
    """Slash command name (without /) -> the command it runs."""
    names: dict[str, str] = {}
    for command in registry.names():
        slash = f"{prefix}{command}"
        if slash in BUILT_IN:
            slash = f"chatops-{slash}"
        names[slash[:32]] = command
    return names


def _describe(registry: CommandRegistry, name: str) -> tuple[str, str]:
    command = registry.top.get(name)
    if command is not None:
        hint = " ".join(a.usage() for a in command.args)
        return command.help or name, hint
    group = registry.groups[name]
    hint = ""
    for sub in sorted(group.commands):
        longer = f"{hint} | {sub}" if hint else sub
        if len(longer) > 96:
            return group.help or f"{name} commands", f"{hint} | …"
        hint = longer
    return group.help or f"{name} commands", hint


def manifest(
    registry: CommandRegistry,
    *,
    mode: str = "socket",
    public_url: str | None = None,
    path: str = "/slack",
    slash_prefix: str = "",
    app_name: str = "chatops",
) -> dict[str, Any]:
    """The manifest as a dict (``yaml.safe_dump`` it); HTTP mode needs the public URL Slack posts to."""
    http = mode == "http"
    base = f"{(public_url or 'https://chatops.example.org').rstrip('/')}{path}"
    commands = []
    for slash, name in slash_names(registry, slash_prefix).items():
        description, hint = _describe(registry, name)
        entry: dict[str, Any] = {
            "command": f"/{slash}",
            "description": description[:100],
            "should_escape": True,  # mentions arrive as <@U…>, which resolve to people
        }
        if hint:
            entry["usage_hint"] = hint[:100]
        if http:
            entry["url"] = f"{base}/commands"
        commands.append(entry)
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if http:
        events["request_url"] = f"{base}/events"
        interactivity["request_url"] = f"{base}/interactions"
    return {
        "display_information": {
            "name": app_name,
            "description": "Incident response in chat: declare, coordinate, resolve, learn.",
        },
        "features": {
            "bot_user": {"display_name": app_name, "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": not http,
            "token_rotation_enabled": False,
        },
    }

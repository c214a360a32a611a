"""``!help``, generated from the command declarations so it cannot drift."""

from __future__ import annotations

from chatops.commands.declare import Command
from chatops.commands.registry import CommandRegistry


def overview(registry: CommandRegistry, prefix: str) -> str:
    lines = ["Commands:"]
    for name in registry.names():
        if name in registry.top:
            command = registry.top[name]
            lines.append(f"  {command.usage(prefix)} — {command.help}")
        else:
            group = registry.groups[name]
            lines.append(f"  {prefix}{name} — {group.help or 'commands'} (see {prefix}help {name})")
    return "\n".join(lines)


def describe(command: Command, prefix: str) -> list[str]:
    lines = [f"  {command.usage(prefix)} — {command.help}"]
    if command.example:
        lines.append(f"      e.g. {command.example}")
    return lines


def topic(registry: CommandRegistry, prefix: str, name: str) -> str | None:
    words = name.lower().lstrip(prefix).lstrip("/").split()
    if not words:
        return None
    if words[0] in registry.top:
        return "\n".join(describe(registry.top[words[0]], prefix))
    group = registry.groups.get(words[0])
    if group is None:
        return None
    if len(words) > 1 and words[1] in group.commands:
        return "\n".join(describe(group.commands[words[1]], prefix))
    lines = [f"{prefix}{group.name} — {group.help}"]
    for sub in sorted(group.commands):
        lines.extend(describe(group.commands[sub], prefix))
    return "\n".join(lines)

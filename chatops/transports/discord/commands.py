"""Application (slash) commands from the command declarations, and back to command text (pure).

A group becomes one command with a subcommand per member
(``/incident declare title:… sev:…``); an argument is a string option
(required as declared), a ``--flag`` a boolean option, a ``--name value`` a
string option named after it.  An invocation is turned back into the text a
person would have typed, so it takes the one parsing and permission path.
"""

from __future__ import annotations

import re
from typing import Any

from chatops.commands.compose import command_text
from chatops.commands.declare import Command
from chatops.commands.registry import CommandRegistry

STRING, BOOLEAN, SUBCOMMAND = 3, 5, 1
_NAME = re.compile(r"[^-_a-z0-9]+")


def _name(text: str) -> str:
    return _NAME.sub("-", text.lower()).strip("-")[:32] or "x"


def _description(text: str, fallback: str) -> str:
    return (text or fallback)[:100]


def options(command: Command) -> list[dict[str, Any]]:
    """A command's arguments and options as Discord options (required ones first, as Discord demands)."""
    found: list[dict[str, Any]] = []
    for arg in command.args:
        found.append(
            {
                "type": STRING,
                "name": _name(arg.name),
                "description": _description(arg.help, arg.metavar or arg.name),
                "required": arg.required,
            }
        )
    for option in command.options:
        found.append(
            {
                "type": BOOLEAN if option.is_flag else STRING,
                "name": _name(option.dest),
                "description": _description(option.help, option.flag_name),
                "required": False,
            }
        )
    return sorted(found, key=lambda o: not o["required"])[:25]


def definitions(registry: CommandRegistry) -> list[dict[str, Any]]:
    """The application commands to register (one per top-level command or group)."""
    found: list[dict[str, Any]] = []
    for name, command in sorted(registry.top.items()):
        found.append(
            {
                "type": 1,
                "name": _name(name),
                "description": _description(command.help, name),
                "options": options(command),
            }
        )
    for name, group in sorted(registry.groups.items()):
        subs = [
            {
                "type": SUBCOMMAND,
                "name": _name(sub),
                "description": _description(command.help, sub),
                "options": options(command),
            }
            for sub, command in sorted(group.commands.items())
        ]
        found.append(
            {
                "type": 1,
                "name": _name(name),
                "description": _description(group.help, name),
                "options": subs[:25],
            }
        )
    return found


def comparable(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What decides whether registered commands must be replaced (Discord adds ids and versions)."""

    def strip(option: dict[str, Any]) -> dict[str, Any]:
        kept = {
            "type": option.get("type", 1),
            "name": option.get("name"),
            "description": option.get("description", ""),
            "required": bool(option.get("required", False)),
        }
        if option.get("options"):
            kept["options"] = [strip(o) for o in option["options"]]
        return kept

    return sorted((strip(c) for c in commands), key=lambda c: str(c["name"]))


def invocation_text(data: dict[str, Any], registry: CommandRegistry, prefix: str) -> str | None:
    """``/incident declare title:"DB down" sev:2`` -> ``!incident declare "DB down" --sev "2"``."""
    name = str(data.get("name", ""))
    given = data.get("options") or []
    words = [name]
    if given and given[0].get("type") == SUBCOMMAND:
        words.append(str(given[0]["name"]))
        given = given[0].get("options") or []
    found = registry.lookup(words, prefix)
    if found.command is None:
        return None
    values = {_dest(found.command, str(o["name"])): o.get("value") for o in given}
    return command_text(prefix + " ".join(words), found.command, values)


def _dest(command: Command, option_name: str) -> str:
    for arg in command.args:
        if _name(arg.name) == option_name:
            return arg.name
    for option in command.options:
        if _name(option.dest) == option_name:
            return option.dest
    return option_name

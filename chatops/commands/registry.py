"""The table of every declared command, built once at start-up."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from chatops.commands.declare import Command, CommandGroup


class CommandConflict(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Lookup:
    command: Command | None
    rest: list[str]
    problem: str = ""


class CommandRegistry:
    def __init__(self) -> None:
        self.top: dict[str, Command] = {}
        self.groups: dict[str, CommandGroup] = {}

    def add(self, plugin: str, item: Command | CommandGroup) -> None:
        if isinstance(item, Command):
            if item.name in self.top or item.name in self.groups:
                raise CommandConflict(f"command {item.name!r} of plugin {plugin} is declared twice")
            item.plugin = plugin
            self.top[item.name] = item
            return
        group = self.groups.get(item.name)
        if group is None:
            if item.name in self.top:
                raise CommandConflict(f"group {item.name!r} of plugin {plugin} clashes with a command")
            group = self.groups[item.name] = CommandGroup(item.name, item.help)
        elif item.help and not group.help:
            group.help = item.help
        for name, command in item.commands.items():
            if name in group.commands:
                other = group.commands[name].plugin
                raise CommandConflict(f"'{item.name} {name}' is declared by both {other} and {plugin}")
            command.plugin = plugin
            group.commands[name] = command

    def knows(self, name: str) -> bool:
        return name.lower() in self.top or name.lower() in self.groups

    def names(self) -> list[str]:
        return sorted([*self.top, *self.groups])

    def lookup(self, tokens: list[str], prefix: str) -> Lookup:
        head = tokens[0].lower()
        command = self.top.get(head)
        if command is not None:
            return Lookup(command, tokens[1:])
        group = self.groups.get(head)
        if group is None:
            near = difflib.get_close_matches(head, self.names(), n=1)
            hint = f' Did you mean "{prefix}{near[0]}"?' if near else ""
            return Lookup(None, [], f'Unknown command "{prefix}{head}".{hint} See {prefix}help')
        if len(tokens) < 2:
            subs = ", ".join(sorted(group.commands))
            return Lookup(None, [], f"{prefix}{head} needs a subcommand: {subs}. See {prefix}help {head}")
        sub = tokens[1].lower()
        command = group.commands.get(sub)
        if command is None:
            near = difflib.get_close_matches(sub, sorted(group.commands), n=1)
            hint = f' Did you mean "{prefix}{head} {near[0]}"?' if near else ""
            return Lookup(None, [], f'Unknown command "{prefix}{head} {sub}".{hint} See {prefix}help {head}')
        return Lookup(command, tokens[2:])

"""Declaring commands: name, typed arguments, help, example, permission, form.

One declaration drives the text parser, ``!help``, usage messages, the
permission check, and (on Slack and Discord) native slash commands.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chatops.models.content import Form

if TYPE_CHECKING:
    from chatops.context import CommandContext

Converter = Callable[[str, "CommandContext"], Any]
Handler = Callable[..., Awaitable[Any]]


def text(raw: str, ctx: CommandContext) -> str:
    return raw


@dataclass(frozen=True, slots=True)
class Arg:
    """A positional argument.  ``greedy`` takes the rest of the words.

    A greedy ``words`` argument is the list of those words, each converted,
    quoted ones kept whole (``!mitigate echo "a b"``); otherwise they are
    joined into one text.
    """

    name: str
    convert: Converter = text
    required: bool = True
    greedy: bool = False
    help: str = ""
    metavar: str = ""
    words: bool = False

    def usage(self) -> str:
        label = self.metavar or self.name
        return f"<{label}>" if self.required else f"[{label}]"


@dataclass(frozen=True, slots=True)
class Option:
    """A ``--name value`` option, a ``--flag``, or a repeatable ``--tag T``."""

    flag_name: str
    convert: Converter = text
    is_flag: bool = False
    multiple: bool = False
    help: str = ""
    metavar: str = ""

    @property
    def dest(self) -> str:
        return self.flag_name.lstrip("-").replace("-", "_")

    def usage(self) -> str:
        if self.is_flag:
            return f"[{self.flag_name}]"
        part = f"{self.flag_name} {self.metavar or self.dest.upper()}"
        return f"[{part}]..." if self.multiple else f"[{part}]"


@dataclass(frozen=True, slots=True)
class Permission:
    """A named permission with the roles allowed by default.

    Config may override the roles per name (``permissions: {incident.resolve: [ic]}``).
    ``action`` completes "Only ... can <action>.".
    """

    name: str
    default_roles: tuple[str, ...]
    action: str


@dataclass(slots=True)
class Command:
    """One runnable command: ``!help`` or the ``declare`` of ``!incident declare``."""

    name: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    options: tuple[Option, ...] = ()
    help: str = ""
    example: str = ""
    permission: Permission | None = None
    form: Form | None = None
    group: str | None = None
    plugin: str = ""
    option_index: dict[str, Option] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.option_index = {o.flag_name: o for o in self.options}

    @property
    def full_name(self) -> str:
        return f"{self.group} {self.name}" if self.group else self.name

    @property
    def where(self) -> str:
        """How failures of this command are named in reports and logs."""
        return f"command {self.full_name}"

    def usage(self, prefix: str = "!") -> str:
        parts = [f"{prefix}{self.full_name}"]
        parts += [a.usage() for a in self.args]
        parts += [o.usage() for o in self.options]
        return " ".join(parts)


class CommandGroup:
    """A family of subcommands (``!incident declare``, ``!incident sev``...).

    Several plugins may declare a group with the same name; their
    subcommands merge.  Use the ``command`` decorator to add one.
    """

    def __init__(self, name: str, help: str = "") -> None:
        self.name = name
        self.help = help
        self.commands: dict[str, Command] = {}

    def command(
        self,
        name: str,
        *params: Arg | Option,
        help: str = "",
        example: str = "",
        permission: Permission | None = None,
        form: Form | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.commands[name] = Command(
                name=name,
                handler=handler,
                args=tuple(p for p in params if isinstance(p, Arg)),
                options=tuple(p for p in params if isinstance(p, Option)),
                help=help,
                example=example,
                permission=permission,
                form=form,
                group=self.name,
            )
            return handler

        return register

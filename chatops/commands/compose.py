"""Named values (a submitted form, a slash command's options) -> command text.

Native forms and slash commands hand back values by name; turning them into
the text a person would have typed lets them take the one parsing,
validation and permission path every command takes.
"""

from __future__ import annotations

from collections.abc import Mapping

from chatops.commands.declare import Command

_PAIRS = (('"', '"'), ("'", "'"), ("\u201c", "\u201d"), ("\u00ab", "\u00bb"))


def quote(value: str) -> str:
    """``value`` as one token, in a pair of quotes it does not contain."""
    for opening, closing in _PAIRS:
        if opening not in value and closing not in value:
            return f"{opening}{value}{closing}"
    return '"' + value.replace('"', "\u201d") + '"'  # every kind of quote inside: soften the double ones


def command_text(base: str, command: Command, values: Mapping[str, str | bool | None]) -> str:
    """``base`` (``!incident declare`` plus anything already given) with ``values`` appended.

    Values are matched by name to the command's options (``sev`` -> ``--sev``)
    and arguments (in declared order); empty values and unknown names are left
    out.  Arguments follow a ``--``, so text that starts with ``--`` (a note
    saying ``--id=7``) stays text and is never read as an option.
    """
    parts = [base.rstrip()]
    for option in command.options:
        value = values.get(option.dest)
        if option.is_flag:
            if value is True or (isinstance(value, str) and value.lower() in ("true", "yes", "1")):
                parts.append(option.flag_name)
        elif isinstance(value, str) and value.strip():
            parts.append(f"{option.flag_name} {quote(value.strip())}")
    positionals = [
        quote(value.strip())
        for arg in command.args
        if isinstance(value := values.get(arg.name), str) and value.strip()
    ]
    if positionals:
        parts += ["--", *positionals]
    return " ".join(parts)

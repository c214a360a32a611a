"""Turning command text into tokens and typed arguments.

The tokenizer is on every command's path: text without quotes is split
with ``str.split``; only quoted text takes the slower character loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chatops.commands.declare import Command

if TYPE_CHECKING:
    from chatops.context import CommandContext

_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb"}


class ParseError(Exception):
    """The text does not fit the command; the message says what was wrong."""


class MissingArguments(ParseError):
    """Required arguments are absent (a form may be offered instead of usage)."""


def tokenize(text: str) -> list[str]:
    """Split on whitespace, honouring "double", 'single' and “curly” quotes."""
    if not any(q in text for q in _QUOTES):
        return text.split()
    tokens: list[str] = []
    current: list[str] = []
    in_token = False
    closing: str | None = None
    for ch in text:
        if closing is not None:
            if ch == closing:
                closing = None
            else:
                current.append(ch)
        elif ch in _QUOTES and (not current or not in_token):
            closing = _QUOTES[ch]
            in_token = True
        elif ch.isspace():
            if in_token:
                tokens.append("".join(current))
                current, in_token = [], False
        else:
            current.append(ch)
            in_token = True
    if closing is not None:
        raise ParseError(f"unbalanced quote: add the closing {closing}")
    if in_token:
        tokens.append("".join(current))
    return tokens


def parse_arguments(command: Command, tokens: list[str], ctx: CommandContext) -> dict[str, Any]:
    """Bind tokens to the command's declared arguments and options, converting types."""
    values: dict[str, Any] = {}
    for option in command.options:
        values[option.dest] = [] if option.multiple else (False if option.is_flag else None)
    positionals: list[str] = []
    given: set[str] = set()
    index = 0
    only_positionals = False
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not only_positionals and token.startswith("--") and len(token) > 2:
            name, equals, inline = token.partition("=")
            found = command.option_index.get(name)
            if found is None:
                known = ", ".join(o.flag_name for o in command.options) or "none"
                raise ParseError(f"unknown option {name} (options: {known})")
            option = found
            if option.dest in given and not option.multiple:
                raise ParseError(f"{name} is given twice")
            given.add(option.dest)
            if option.is_flag:
                if equals:
                    raise ParseError(f"{name} takes no value")
                values[option.dest] = True
                continue
            if equals:
                raw = inline
            elif index < len(tokens):
                raw = tokens[index]
                index += 1
            else:
                raise ParseError(f"{name} needs a value")
            converted = _convert(option.convert, raw, ctx, name)
            if option.multiple:
                values[option.dest].append(converted)
            else:
                values[option.dest] = converted
        elif token == "--" and not only_positionals:
            only_positionals = True
        else:
            positionals.append(token)
    args = command.args
    missing: list[str] = []
    for position, arg in enumerate(args):
        if arg.greedy:
            raw_words = positionals[position:]
            positionals = positionals[:position]
            raw = " ".join(raw_words)
        elif position < len(positionals):
            raw = positionals[position]
        else:
            raw = ""
        if raw == "":
            if arg.required:
                missing.append(arg.name)
            values[arg.name] = [] if arg.greedy and arg.words else None
            continue
        if arg.greedy and arg.words:
            values[arg.name] = [_convert(arg.convert, word, ctx, arg.name) for word in raw_words]
            continue
        values[arg.name] = _convert(arg.convert, raw, ctx, arg.name)
    if missing:
        raise MissingArguments("missing " + ", ".join(f"<{m}>" for m in missing))
    if len(positionals) > len(args) and not any(a.greedy for a in args):
        extra = positionals[len(args)]
        raise ParseError(f"unexpected {extra!r} (quote text that contains spaces)")
    return values


def _convert(convert: Any, raw: str, ctx: CommandContext, name: str) -> Any:
    try:
        return convert(raw, ctx)
    except (ValueError, OverflowError) as exc:
        raise ParseError(f"{name}: {exc}") from None

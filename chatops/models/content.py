"""Rich content: a small declarative layer every transport renders its own way.

A plugin builds ``Content`` from blocks; each transport renders the blocks
natively where it can and degrades the rest to text (a button becomes the
command it stands for, a form becomes a usage hint).  ``render_text`` is the
reference degradation, used by the console and by transports for fallbacks.

The blocks are frozen slotted dataclasses rather than pydantic models: a
reply is built on every command's path, and construction here costs a
fraction of a validated model.  ``to_json``/``from_json`` (through a
pydantic ``TypeAdapter``) store content in the outbox and validate it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import TypeAdapter


@dataclass(frozen=True, slots=True)
class Mention:
    """A person named inline; transports render a real mention (pill, <@id>)."""

    user_id: str
    name: str
    kind: Literal["mention"] = "mention"


Inline = str | Mention


@dataclass(frozen=True, slots=True)
class Text:
    """A paragraph of markdown-ish text with inline mentions."""

    parts: tuple[Inline, ...]
    kind: Literal["text"] = "text"


@dataclass(frozen=True, slots=True)
class Fields:
    """Label/value pairs (a table where the platform has one)."""

    items: tuple[tuple[str, str], ...]
    kind: Literal["fields"] = "fields"


@dataclass(frozen=True, slots=True)
class Button:
    """A button with a stable action id.

    ``command`` is the chat command the button stands for: transports without
    buttons print it, and a click is dispatched as that command typed by the
    person who clicked.
    """

    label: str
    action_id: str
    command: str
    style: Literal["default", "primary", "danger"] = "default"


@dataclass(frozen=True, slots=True)
class Buttons:
    buttons: tuple[Button, ...]
    kind: Literal["buttons"] = "buttons"


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    required: bool = True
    multiline: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Form:
    """A modal form a command opens when its required arguments are missing."""

    title: str
    command: str
    fields: tuple[FormField, ...]


Block = Text | Fields | Buttons


@dataclass(frozen=True, slots=True)
class Content:
    """A message body: an ordered tuple of blocks."""

    blocks: tuple[Block, ...]

    @classmethod
    def of(cls, *items: str | Inline | Block | Iterable[Inline]) -> Content:
        """Build content from plain strings (one paragraph each) and blocks."""
        blocks: list[Block] = []
        for item in items:
            if isinstance(item, str | Mention):
                blocks.append(Text(parts=(item,)))
            elif isinstance(item, Text | Fields | Buttons):
                blocks.append(item)
            else:
                blocks.append(Text(parts=tuple(item)))
        return cls(blocks=tuple(blocks))

    def mentions(self) -> list[Mention]:
        return [p for b in self.blocks if isinstance(b, Text) for p in b.parts if isinstance(p, Mention)]


_ADAPTER: TypeAdapter[Content] = TypeAdapter(Content)


def to_json(content: Content) -> Any:
    """A JSON-compatible value (for the outbox)."""
    return _ADAPTER.dump_python(content, mode="json")


def from_json(value: Any) -> Content:
    """Validate stored content back into blocks."""
    return _ADAPTER.validate_python(value)


def as_content(value: str | Content) -> Content:
    if isinstance(value, Content):
        return value
    return Content((Text((value,)),))


def render_inline(part: Inline) -> str:
    return part if isinstance(part, str) else f"@{part.name}"


def render_text(content: Content) -> str:
    """The plain-text degradation every transport can fall back to."""
    lines: list[str] = []
    for block in content.blocks:
        if isinstance(block, Text):
            lines.append("".join(render_inline(p) for p in block.parts))
        elif isinstance(block, Fields):
            width = max((len(label) for label, _ in block.items), default=0)
            lines.extend(f"{label.ljust(width)}  {value}" for label, value in block.items)
        else:
            lines.append("  ".join(f"[{b.label}: {b.command}]" for b in block.buttons))
    return "\n".join(lines)

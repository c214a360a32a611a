"""Rich content: a small declarative layer every transport renders its own way.

A plugin builds ``Content`` from blocks; each transport renders the blocks
natively where it can and degrades the rest to text (a button becomes the
command it stands for, a form becomes a usage hint).  ``render_text`` is the
reference degradation, used by the console and by transports for fallbacks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Mention(_Frozen):
    """A person named inline; transports render a real mention (pill, <@id>)."""

    kind: Literal["mention"] = "mention"
    user_id: str
    name: str


Inline = str | Mention


class Text(_Frozen):
    """A paragraph of markdown-ish text with inline mentions."""

    kind: Literal["text"] = "text"
    parts: tuple[Inline, ...]


class Fields(_Frozen):
    """Label/value pairs (a table where the platform has one)."""

    kind: Literal["fields"] = "fields"
    items: tuple[tuple[str, str], ...]


class Button(_Frozen):
    """A button with a stable action id.

    ``command`` is the chat command the button stands for: transports without
    buttons print it, and a click is dispatched as that command typed by the
    person who clicked.
    """

    kind: Literal["button"] = "button"
    label: str
    action_id: str
    command: str
    style: Literal["default", "primary", "danger"] = "default"


class Buttons(_Frozen):
    kind: Literal["buttons"] = "buttons"
    buttons: tuple[Button, ...]


class FormField(_Frozen):
    name: str
    label: str
    required: bool = True
    multiline: bool = False
    choices: tuple[str, ...] = ()


class Form(_Frozen):
    """A modal form a command opens when its required arguments are missing."""

    kind: Literal["form"] = "form"
    title: str
    command: str
    fields: tuple[FormField, ...]


Block = Text | Fields | Buttons


class Content(_Frozen):
    """A message body: an ordered tuple of blocks."""

    blocks: tuple[Block, ...]

    @classmethod
    def of(cls, *items: str | Inline | Block | Iterable[Inline]) -> Content:
        """Build content from plain strings (one paragraph each) and blocks."""
        blocks: list[Block] = []
        for item in items:
            if isinstance(item, str):
                blocks.append(Text(parts=(item,)))
            elif isinstance(item, Mention):
                blocks.append(Text(parts=(item,)))
            elif isinstance(item, Text | Fields | Buttons):
                blocks.append(item)
            else:
                blocks.append(Text(parts=tuple(item)))
        return cls(blocks=tuple(blocks))

    def mentions(self) -> list[Mention]:
        return [p for b in self.blocks if isinstance(b, Text) for p in b.parts if isinstance(p, Mention)]


def as_content(value: str | Content) -> Content:
    """Content for a plain reply; a ``str`` is trusted, so no validation on this hot path."""
    if isinstance(value, Content):
        return value
    return Content.model_construct(blocks=(Text.model_construct(parts=(value,)),))


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

"""Rich content -> Block Kit, forms -> modals, and modal submissions -> values (pure).

Text becomes ``mrkdwn`` sections with real ``<@U…>`` mentions, fields a
section's two-column fields, buttons an ``actions`` block whose
``action_id`` is the button's stable action id and whose ``value`` is the
command it stands for.  Every message also carries the plain ``text``
fallback Slack shows in notifications.  Block Kit's size limits are kept
here, so no message is refused for its shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chatops.models.content import Buttons, Content, Fields, Form, Inline, Mention, Text

FORM_CALLBACK = "chatops.form"
METADATA_CHARS = 3000  # a modal's private_metadata
_SECTION_CHARS = 3000
_FIELDS_PER_SECTION = 10
_FIELD_CHARS = 2000
_BUTTONS_PER_BLOCK = 25
_MAX_BLOCKS = 50
_VALUE_CHARS = 2000
_ACTION_ID_CHARS = 255


def escape(text: str) -> str:
    """Slack's three control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_user(user_id: str, transport: str) -> str | None:
    """``slack:U123`` -> ``U123`` for users of this transport, else None."""
    owner, _, local = user_id.partition(":")
    return local if owner == transport and local else None


def inline(part: Inline, transport: str) -> str:
    if isinstance(part, Mention):
        local = slack_user(part.user_id, transport)
        return f"<@{local}>" if local else escape(f"@{part.name}")
    return escape(part)


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    blocks: list[dict[str, Any]]


def render(content: Content, transport: str) -> Message:
    fallback: list[str] = []
    blocks: list[dict[str, Any]] = []
    for block in content.blocks:
        if isinstance(block, Text):
            text = "".join(inline(p, transport) for p in block.parts)
            fallback.append(text)
            blocks += [
                {"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
                for chunk in _chunks(text or " ", _SECTION_CHARS)
            ]
        elif isinstance(block, Fields):
            items = [f"*{escape(label)}*\n{escape(value)}"[:_FIELD_CHARS] for label, value in block.items]
            fallback += [f"{label}: {value}" for label, value in block.items]
            for start in range(0, len(items), _FIELDS_PER_SECTION):
                fields = items[start : start + _FIELDS_PER_SECTION]
                blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]})
        elif isinstance(block, Buttons):
            fallback.append("  ".join(f"[{b.label}: {escape(b.command)}]" for b in block.buttons))
            # a command longer than a button's value can hold stays in the text, never cut short
            elements = [
                button(b.label, b.action_id, b.command, b.style)
                for b in block.buttons
                if len(b.command) <= _VALUE_CHARS and len(b.action_id) <= _ACTION_ID_CHARS
            ]
            if not elements:
                continue
            for start in range(0, len(elements), _BUTTONS_PER_BLOCK):
                blocks.append({"type": "actions", "elements": elements[start : start + _BUTTONS_PER_BLOCK]})
    if len(blocks) > _MAX_BLOCKS:
        shortened = {"type": "context", "elements": [{"type": "mrkdwn", "text": "… (shortened for Slack)"}]}
        blocks = [*blocks[: _MAX_BLOCKS - 1], shortened]
    return Message(text="\n".join(fallback)[:39_000], blocks=blocks)


def button(label: str, action_id: str, command: str, style: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label[:75], "emoji": True},
        "action_id": action_id,
        "value": command,
    }
    if style in ("primary", "danger"):
        element["style"] = style
    return element


def modal(form: Form, metadata: dict[str, Any]) -> dict[str, Any]:
    """A modal view for ``form``; ``metadata`` comes back with the submission."""
    blocks = []
    for field in form.fields:
        element: dict[str, Any]
        if field.choices:
            element = {
                "type": "static_select",
                "action_id": "value",
                "options": [
                    {"text": {"type": "plain_text", "text": c[:75]}, "value": c[:150]} for c in field.choices
                ],
            }
        else:
            element = {"type": "plain_text_input", "action_id": "value", "multiline": field.multiline}
        blocks.append(
            {
                "type": "input",
                "block_id": field.name,
                "optional": not field.required,
                "label": {"type": "plain_text", "text": field.label[:2000]},
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": {"type": "plain_text", "text": form.title[:24]},
        "submit": {"type": "plain_text", "text": "Submit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": blocks,
    }


def submitted_values(view: dict[str, Any]) -> dict[str, str]:
    """Field name -> value from a ``view_submission``'s ``view.state.values``."""
    values: dict[str, str] = {}
    state = view.get("state", {}).get("values", {})
    for block_id, actions in state.items():
        element = actions.get("value") if isinstance(actions, dict) else None
        if not isinstance(element, dict):
            continue
        selected = element.get("selected_option")
        value = selected.get("value") if isinstance(selected, dict) else element.get("value")
        if isinstance(value, str):
            values[block_id] = value
    return values

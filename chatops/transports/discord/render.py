"""Rich content -> Discord message payloads, forms -> modals, modal submissions -> values (pure).

Text becomes the message ``content`` with real ``<@id>`` mentions (an
embed's description when longer than Discord's 2,000 characters), fields an
embed's inline fields, buttons action rows whose ``custom_id`` is the
button's stable action id.  ``allowed_mentions`` pings only the people a
plugin mentioned: an ``@everyone`` inside an incident title pings no one.
"""

from __future__ import annotations

from typing import Any

from chatops.models.content import Buttons, Content, Fields, Form, Inline, Mention, Text

FORM_PREFIX = "chatops.form:"
EPHEMERAL = 64  # message flag
_CONTENT_CHARS = 2000
_DESCRIPTION_CHARS = 4096
_CUSTOM_ID_CHARS = 100
_STYLES = {"primary": 1, "default": 2, "danger": 4}


def discord_user(user_id: str, transport: str) -> str | None:
    owner, _, local = user_id.partition(":")
    return local if owner == transport and local.isdigit() else None


def inline(part: Inline, transport: str, mentioned: list[str]) -> str:
    if isinstance(part, Mention):
        local = discord_user(part.user_id, transport)
        if local:
            mentioned.append(local)
            return f"<@{local}>"
        return f"@{part.name}"
    return part


def message(content: Content, transport: str) -> dict[str, Any]:
    lines: list[str] = []
    mentioned: list[str] = []
    fields: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for block in content.blocks:
        if isinstance(block, Text):
            lines.append("".join(inline(p, transport, mentioned) for p in block.parts))
        elif isinstance(block, Fields):
            fields += [
                {"name": label[:256] or "·", "value": value[:1024] or "—", "inline": True}
                for label, value in block.items
            ]
        elif isinstance(block, Buttons):
            # an action id longer than a custom_id holds would come back unknown: such a
            # button is left out rather than cut short (its command is in the text anyway)
            buttons = [
                {"type": 2, "style": _STYLES.get(b.style, 2), "label": b.label[:80], "custom_id": b.action_id}
                for b in block.buttons
                if len(b.action_id) <= _CUSTOM_ID_CHARS
            ]
            rows += [{"type": 1, "components": buttons[i : i + 5]} for i in range(0, len(buttons), 5)]
    text = "\n".join(lines)
    payload: dict[str, Any] = {
        "allowed_mentions": {"parse": [], "users": sorted(set(mentioned))[:100]},
        "components": rows[:5],
    }
    embeds: list[dict[str, Any]] = []
    if len(text) > _CONTENT_CHARS:
        embeds.append({"description": text[:_DESCRIPTION_CHARS]})
        text = ""
    if fields:
        embeds.append({"fields": fields[:25]})
    payload["content"] = text
    payload["embeds"] = embeds
    return payload


def plain(text: str) -> dict[str, Any]:
    return {"content": text[:_CONTENT_CHARS], "allowed_mentions": {"parse": []}}


def modal(form: Form, nonce: str) -> dict[str, Any]:
    """The interaction response that opens ``form`` (type 9)."""
    rows = []
    for field in form.fields[:5]:
        text_input: dict[str, Any] = {
            "type": 4,
            "custom_id": field.name,
            "label": field.label[:45],
            "style": 2 if field.multiline else 1,
            "required": field.required,
        }
        if field.choices:
            text_input["placeholder"] = " / ".join(field.choices)[:100]
        rows.append({"type": 1, "components": [text_input]})
    return {
        "type": 9,
        "data": {"custom_id": f"{FORM_PREFIX}{nonce}", "title": form.title[:45], "components": rows},
    }


def submitted_values(data: dict[str, Any]) -> dict[str, str]:
    """Field name -> value from a modal submission's ``data.components``."""
    values: dict[str, str] = {}
    for row in data.get("components", []):
        for component in row.get("components", []):
            name, value = component.get("custom_id"), component.get("value")
            if isinstance(name, str) and isinstance(value, str):
                values[name] = value
    return values

"""Rich content -> Matrix event content (pure).

Replies are ``m.notice`` with an HTML ``formatted_body``; mentions are pills
(matrix.to links) listed in ``m.mentions``; fields become a small table;
buttons, which Matrix lacks, become a text hint with a reaction per button.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from chatops.models.content import Button, Buttons, Content, Fields, Mention, Text

# Reactions offered for the buttons of one message, in order.
REACTION_KEYS = ("👍", "✅", "🚫", "1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣")


def pill(user_id: str, name: str) -> str:
    return f'<a href="https://matrix.to/#/{escape(user_id)}">{escape(name)}</a>'


@dataclass(frozen=True, slots=True)
class Rendered:
    content: dict[str, Any]
    reactions: dict[str, Button]  # reaction key -> the button it stands for


def mxid(user_id: str) -> str:
    """``matrix:@alice:example.org`` -> ``@alice:example.org``."""
    return user_id.split(":", 1)[1] if user_id.startswith("matrix:") else user_id


def render(content: Content, msgtype: str = "m.notice") -> Rendered:
    plain: list[str] = []
    html: list[str] = []
    mentioned: list[str] = []
    reactions: dict[str, Button] = {}
    for block in content.blocks:
        if isinstance(block, Text):
            text_parts, html_parts = [], []
            for part in block.parts:
                if isinstance(part, Mention):
                    user = mxid(part.user_id)
                    mentioned.append(user)
                    text_parts.append(f"@{part.name}")
                    html_parts.append(pill(user, f"@{part.name}"))
                else:
                    text_parts.append(part)
                    html_parts.append(escape(part))
            plain.append("".join(text_parts))
            html.append("<p>" + "".join(html_parts) + "</p>")
        elif isinstance(block, Fields):
            plain.extend(f"{label}: {value}" for label, value in block.items)
            rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in block.items)
            html.append(f"<table>{rows}</table>")
        elif isinstance(block, Buttons):
            hints = []
            for key, button in zip(REACTION_KEYS, block.buttons, strict=False):
                reactions[key] = button
                hints.append((key, button))
            plain.append("  ".join(f"{key} {b.label} ({b.command})" for key, b in hints))
            html.append(
                "<p>"
                + " · ".join(
                    f"{key} {escape(b.label)} (<code>{escape(b.command)}</code>)" for key, b in hints
                )
                + "</p><p><em>React to choose, or type the command.</em></p>"
            )
    body: dict[str, Any] = {
        "msgtype": msgtype,
        "body": "\n".join(plain),
        "format": "org.matrix.custom.html",
        "formatted_body": "".join(html),
        "m.mentions": {"user_ids": sorted(set(mentioned))} if mentioned else {},
    }
    return Rendered(body, reactions)


def edit(original_event_id: str, rendered: Rendered) -> dict[str, Any]:
    """An ``m.replace`` edit of a message, with the fallback body clients show without edits."""
    new = dict(rendered.content)
    return {
        **new,
        "body": "* " + new["body"],
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": original_event_id},
    }


def in_thread(content: dict[str, Any], root_event_id: str) -> dict[str, Any]:
    return {
        **content,
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": root_event_id,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": root_event_id},
        },
    }

"""Matrix events -> command text (pure: no I/O, no client).

Element sends a mention as a pill: the plain ``body`` carries the display
name, the HTML ``formatted_body`` the user id.  So the command text is taken
from the HTML when it holds pills (pills become user ids), and a message
that starts by addressing the bot (``@chatops:server incident list`` or
``chatops: incident list``) is a command even without the prefix.  In a
bridged room every message counts, mirrored as people read it (pills as
``@name``), and so do its edits (``m.replace``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

_REPLY_FALLBACK = re.compile(r"<mx-reply>.*?</mx-reply>", re.S)
_PILL = re.compile(r'<a\s+href="https://matrix\.to/#/(@[^"?]+)[^"]*">.*?</a>', re.S)
_BREAK = re.compile(r"<br\s*/?>|</p>", re.I)
_TAG = re.compile(r"<[^>]+>")


def plain_text(content: dict[str, Any]) -> str:
    """The message text, with pills turned into user ids and reply fallbacks removed."""
    return _text(content, lambda mxid: mxid)


def said_text(content: dict[str, Any], name_of: Callable[[str], str]) -> str:
    """The message text as people read it: pills as ``@name``, reply fallbacks removed."""
    return _text(content, lambda mxid: f"@{name_of(mxid)}")


def _text(content: dict[str, Any], pill: Callable[[str], str]) -> str:
    formatted = content.get("formatted_body")
    if (
        content.get("format") == "org.matrix.custom.html"
        and isinstance(formatted, str)
        and ("matrix.to/#/@" in formatted or "<mx-reply>" in formatted)
    ):
        html = _REPLY_FALLBACK.sub("", formatted)
        html = _PILL.sub(lambda m: pill(unescape(m[1])), html)
        return unescape(_TAG.sub("", _BREAK.sub("\n", html))).strip()
    body = content.get("body")
    if not isinstance(body, str):
        return ""
    if body.startswith("> "):  # a reply's quoted fallback comes first, then a blank line
        body = body.split("\n\n", 1)[-1]
    return body.strip()


def command_text(text: str, prefix: str, bot_user_id: str, bot_names: tuple[str, ...]) -> str | None:
    """The command in ``text``, or None when the message is not for the bot."""
    if text.startswith((prefix, "/")):
        return text
    lowered = text.lower()
    for name in (bot_user_id, *bot_names):
        if not name or not lowered.startswith(name.lower()):
            continue
        rest = text[len(name) :]
        # "chatops: incident list" is for the bot; "chatops is down again" is not.
        if rest[:1] in (":", ",") or (name == bot_user_id and rest[:1].isspace()):
            command = rest[1:].strip()
            if command:
                return command if command.startswith((prefix, "/")) else prefix + command
    return None


def thread_root(content: dict[str, Any]) -> str | None:
    relation = content.get("m.relates_to")
    if isinstance(relation, dict) and relation.get("rel_type") == "m.thread":
        root = relation.get("event_id")
        return root if isinstance(root, str) else None
    return None


def is_edit(content: dict[str, Any]) -> bool:
    relation = content.get("m.relates_to")
    return isinstance(relation, dict) and relation.get("rel_type") == "m.replace"


def replacement(content: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """An edit's target event id and its new content (``m.new_content``), or None if not an edit."""
    relation, new = content.get("m.relates_to"), content.get("m.new_content")
    if not is_edit(content) or not isinstance(relation, dict) or not isinstance(new, dict):
        return None
    target = relation.get("event_id")
    return (target, new) if isinstance(target, str) else None

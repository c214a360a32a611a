"""Slack payloads -> command text (pure: no I/O, no client).

Slack sends text with its own markup: ``<@U123>`` mentions (kept, they
resolve to people), ``<#C123|name>`` channels, ``<https://…|label>`` links,
and ``&amp; &lt; &gt;`` escapes.  A message is a command when it starts with
the prefix or addresses the bot (``@chatops incident list``).
"""

from __future__ import annotations

import re
from typing import Any

_MARKUP = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"^@([UW][A-Z0-9]+)(?:\|[^>]*)?$")
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
MENTIONED = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")

# Kinds of message event that are a person typing (edits, joins and bot posts are not).
_TYPED_SUBTYPES = (None, "thread_broadcast", "file_share")


def _markup(match: re.Match[str]) -> str:
    inner = match[1]
    user = _USER.match(inner)
    if user:
        return f"<@{user[1]}>"
    if inner.startswith("#"):
        channel, _, name = inner[1:].partition("|")
        return f"#{name or channel}"
    if inner.startswith("!"):
        special = inner[1:].split("|", 1)[0]
        return f"@{special.split('^', 1)[0]}"
    return inner.split("|", 1)[0]  # a link: its URL


def plain_text(text: str) -> str:
    """Slack message text as typed: markup resolved (mentions kept as ``<@U…>``), escapes undone."""
    cleaned = _MARKUP.sub(_markup, text)
    return cleaned.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def command_text(text: str, prefix: str, bot_user_id: str) -> str | None:
    """The command in a message's plain text, or None when it is not for the bot."""
    if text.startswith(prefix):
        return text
    mention = f"<@{bot_user_id}>"
    if text.startswith(mention):
        rest = text[len(mention) :].lstrip(" :,").strip()
        if rest:
            return rest if rest.startswith(prefix) else prefix + rest
    return None


def typed_message(event: dict[str, Any], bot_user_id: str) -> bool:
    """A message a person typed (not an edit, a join, or something a bot posted)."""
    if event.get("subtype") not in _TYPED_SUBTYPES or event.get("hidden"):
        return False
    if event.get("bot_id") or event.get("user") in (None, bot_user_id):
        return False  # any bot's post (ours included): bots do not command each other
    return isinstance(event.get("text"), str) and isinstance(event.get("channel"), str)


def slash_text(command: str, text: str, prefix: str, names: dict[str, str]) -> str | None:
    """``/incident`` + ``declare …`` -> ``!incident declare …``; None for a command we don't own."""
    name = names.get(command.lstrip("/").lower())
    if name is None:
        return None
    rest = plain_text(text)
    return f"{prefix}{name} {rest}".rstrip()

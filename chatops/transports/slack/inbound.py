"""Slack payloads -> command text (pure: no I/O, no client).

Slack sends text with its own markup: ``<@U123>`` mentions (kept, they
resolve to people), ``<#C123|name>`` channels, ``<https://…|label>`` links,
and ``&amp; &lt; &gt;`` escapes.  A message is a command when it starts with
the prefix or addresses the bot (``@chatops incident list``).  In a bridged
channel every message counts, and its edits and deletions
(``message_changed``, ``message_deleted``) too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

_MARKUP = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"^@([UW][A-Z0-9]+)(?:\|[^>]*)?$")
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
MENTIONED = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")

# Kinds of message event that are a person typing (edits, joins and bot posts are not).
_TYPED_SUBTYPES = (None, "thread_broadcast", "file_share")
CHANGED, DELETED = "message_changed", "message_deleted"


@dataclass(frozen=True, slots=True)
class Edit:
    """A person's message changed: whose, which (its ``ts``), and its new text (Slack markup)."""

    user: str
    ts: str
    text: str


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


def said_text(text: str, name_of: Callable[[str], str]) -> str:
    """Plain text as people read it in Slack: ``<@U123>`` mentions shown as ``@alice``."""
    return MENTIONED.sub(lambda m: f"@{name_of(m[1])}", text)


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


def _by_a_person(message: Any, bot_user_id: str) -> TypeGuard[dict[str, Any]]:
    return (
        isinstance(message, dict)
        and not message.get("bot_id")
        and isinstance(message.get("user"), str)
        and message["user"] != bot_user_id
    )


def edit(event: dict[str, Any], bot_user_id: str) -> Edit | None:
    """The edit a ``message_changed`` event carries, if a person changed their message's text.

    Slack sends ``message_changed`` for more than edits (a link unfurled, a thread's
    reply count, our own ``chat.update``): those keep the text, or are not a person's.
    """
    if event.get("subtype") != CHANGED:
        return None
    message, before = event.get("message"), event.get("previous_message")
    if not _by_a_person(message, bot_user_id) or not isinstance(message.get("text"), str):
        return None
    if isinstance(before, dict) and before.get("text") == message["text"]:
        return None
    return Edit(user=message["user"], ts=str(message.get("ts", "")), text=message["text"])


def deleted_ts(event: dict[str, Any], bot_user_id: str) -> str | None:
    """The ``ts`` of the message a ``message_deleted`` event took back (None for the bot's own)."""
    if event.get("subtype") != DELETED or not isinstance(event.get("deleted_ts"), str):
        return None
    before = event.get("previous_message")
    if isinstance(before, dict) and not _by_a_person(before, bot_user_id):
        return None  # one of our copies went (we deleted it): nothing mirrors it
    return str(event["deleted_ts"])


def slash_text(command: str, text: str, prefix: str, names: dict[str, str]) -> str | None:
    """``/incident`` + ``declare …`` -> ``!incident declare …``; None for a command we don't own."""
    name = names.get(command.lstrip("/").lower())
    if name is None:
        return None
    rest = plain_text(text)
    return f"{prefix}{name} {rest}".rstrip()

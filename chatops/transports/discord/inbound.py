"""Discord payloads -> what chatops needs of them (pure: no I/O, no client).

Interactions arrive from the gateway (as discord.py objects) or over HTTP
(as JSON); both become one ``Incoming`` record.  A typed message is a
command when it starts with the prefix or addresses the bot
(``@chatops incident list``, sent as ``<@id> incident list``).  In a
bridged channel every message counts, and is mirrored as people read it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MENTION = re.compile(r"^<@!?(\d+)>$")
MENTIONED = re.compile(r"<@!?(\d+)>")

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT = 1, 2, 3, 5


@dataclass(frozen=True, slots=True)
class Incoming:
    """One interaction, however it arrived."""

    id: str
    token: str
    type: int
    data: dict[str, Any]
    channel_id: str
    guild_id: str | None
    user_id: str
    user_name: str
    direct: bool


def incoming(payload: dict[str, Any]) -> Incoming:
    """An interaction's JSON (HTTP endpoint, or a gateway INTERACTION_CREATE) as an ``Incoming``."""
    member = payload.get("member") or {}
    person = member.get("user") or payload.get("user") or {}
    channel = payload.get("channel") or {}
    return Incoming(
        id=str(payload["id"]),
        token=str(payload["token"]),
        type=int(payload["type"]),
        data=payload.get("data") or {},
        channel_id=str(payload.get("channel_id") or channel.get("id") or ""),
        guild_id=str(payload["guild_id"]) if payload.get("guild_id") else None,
        user_id=str(person.get("id", "")),
        user_name=str(member.get("nick") or person.get("global_name") or person.get("username") or ""),
        direct=payload.get("guild_id") is None,
    )


def command_text(text: str, prefix: str, bot_user_id: str) -> str | None:
    """The command in a typed message, or None when it is not for the bot."""
    text = text.strip()
    if text.startswith(prefix):
        return text
    for mention in (f"<@{bot_user_id}>", f"<@!{bot_user_id}>"):
        if text.startswith(mention):
            rest = text[len(mention) :].lstrip(" :,").strip()
            if rest:
                return rest if rest.startswith(prefix) else prefix + rest
    return None


def said_text(text: str, name_of: Callable[[str], str]) -> str:
    """A typed message as people read it in Discord: ``<@123>`` mentions shown as ``@alice``."""
    return MENTIONED.sub(lambda m: f"@{name_of(m[1])}", text).strip()

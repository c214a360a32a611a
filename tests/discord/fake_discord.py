"""A local Discord for the tests: REST v10 and the gateway, as the unmodified discord.py speaks them.

REST answers with ``Content-Type: application/json`` exactly (discord.py
compares it), rate-limit headers, and a Cloudflare-style 429 (``Via``,
``retry_after``) when a route is throttled.  The gateway speaks v10 over
``zlib-stream``: HELLO, IDENTIFY → READY + GUILD_CREATE, HEARTBEAT/ACK,
RESUME → RESUMED, and dispatches MESSAGE_CREATE, MESSAGE_UPDATE, MESSAGE_DELETE
and INTERACTION_CREATE.
Interactions must be answered once, within 3 seconds, like Discord's.  It
keeps what a guild would show (channels with topics, permission
overwrites, messages with their edits, pins; direct messages; interaction
responses and follow-ups; registered commands) for the tests to assert on.
Loopback only.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

HELLO, HEARTBEAT, IDENTIFY, DISPATCH, HEARTBEAT_ACK, RESUME = 10, 1, 2, 0, 11, 6
TOKEN = "test-discord-bot-token"
BOT_ID, APP_ID, GUILD_ID, OPS_ID = (
    "1000000000000000001",
    "1000000000000000002",
    "1000000000000000003",
    "1000000000000000004",
)
ALICE, BOB = "1000000000000000005", "1000000000000000006"
ANSWER_WITHIN_S = 3.0
_snowflakes = itertools.count(1100000000000000000)


def snowflake() -> str:
    return str(next(_snowflakes))


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204:
        return web.Response(status=204, headers=headers)
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Posted:
    id: str
    author: str
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    edits: int = 0

    def buttons(self) -> dict[str, str]:
        """Label -> custom_id."""
        return {b["label"]: b["custom_id"] for row in self.components for b in row["components"]}


@dataclass
class Channel:
    id: str
    name: str
    guild_id: str | None
    topic: str = ""
    parent_id: str | None = None
    overwrites: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, Posted] = field(default_factory=dict)
    pins: list[str] = field(default_factory=list)
    recipient: str | None = None
    nonces: dict[str, str] = field(default_factory=dict)  # enforced nonce -> the message it created

    def texts(self) -> list[str]:
        return [m.content for m in self.messages.values()]


@dataclass
class Interaction:
    id: str
    token: str
    sent_at: float
    responses: list[dict[str, Any]] = field(default_factory=list)
    original: dict[str, Any] | None = None
    deleted: bool = False
    followups: list[dict[str, Any]] = field(default_factory=list)


class FakeDiscord:
    def __init__(self, heartbeat_interval_ms: int = 41250) -> None:
        self.port = 0
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.calls: list[tuple[str, str, Any]] = []
        self.gateway_log: list[dict[str, Any]] = []
        self.users: dict[str, str] = {BOT_ID: "chatops"}
        self.channels: dict[str, Channel] = {OPS_ID: Channel(OPS_ID, "ops", GUILD_ID)}
        self.commands: dict[str, list[dict[str, Any]]] = {}  # registration path -> commands
        self.interactions: dict[str, Interaction] = {}
        self.limits: dict[str, int] = {}  # "METHOD /route/template" -> calls allowed per window
        self.latency_s: dict[str, float] = {}  # "METHOD /route/template" -> how long Discord takes
        self.message_content_allowed = True  # the privileged intent, as enabled in the Developer Portal
        self.limit_window_s = 0.5
        self.throttled = 0
        self.connections = 0
        self._windows: dict[str, tuple[float, int]] = {}
        self._ws: web.WebSocketResponse | None = None
        self._z: Any = None
        self._seq = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    # --- setup ---

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/"

    def add_user(self, user_id: str, name: str) -> None:
        self.users[user_id] = name

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- observing ---

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], Any], seconds: float = 10.0) -> Any:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), seconds)
        return predicate()

    def called(self, method: str, prefix: str) -> list[Any]:
        return [body for m, path, body in self.calls if m == method and path.startswith(prefix)]

    def channel_named(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name), None)

    def dm_with(self, user: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.recipient == user), None)

    def user(self, user_id: str) -> dict[str, Any]:
        name = self.users[user_id]
        return {
            "id": user_id,
            "username": name,
            "global_name": name,
            "discriminator": "0",
            "avatar": None,
            "bot": user_id == BOT_ID,
            "public_flags": 0,
        }

    # --- REST ---

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        body = json.loads(raw) if raw and request.content_type == "application/json" else None
        method = request.method
        self.calls.append((method, path, body))
        open_route = path.startswith(("/interactions/", "/webhooks/"))
        if not open_route and request.headers.get("Authorization") != f"Bot {TOKEN}":
            return reply({"message": "401: Unauthorized", "code": 0}, 401)
        parts = path.strip("/").split("/")
        template = method + " /" + "/".join(p if not p.isdigit() else "{id}" for p in parts)
        if template in self.latency_s:
            await asyncio.sleep(self.latency_s[template])  # a slow Discord, not synchronisation
        if self._throttle(template, parts):
            self.throttled += 1
            await self._notify()
            return reply(
                {"message": "You are being rate limited.", "retry_after": 0.25, "global": False},
                429,
                {"Via": "1.1 google", "Retry-After": "1", "X-RateLimit-Scope": "user"},
            )
        try:
            answer = self._route(method, parts, body)
        except KeyError as exc:
            answer = reply({"message": f"404: Not Found ({exc})", "code": 10003}, 404)
        await self._notify()
        return answer

    def _throttle(self, template: str, parts: list[str]) -> bool:
        allowed = self.limits.get(template)
        if allowed is None:
            return False
        key = template + "/".join(p for p in parts if p.isdigit())
        now = time.monotonic()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.limit_window_s:
            start, count = now, 0
        self._windows[key] = (start, count + 1)
        return count + 1 > allowed

    def _route(self, method: str, parts: list[str], body: Any) -> web.Response:
        match (method, parts):
            case ("GET", ["users", "@me"]):
                return reply({**self.user(BOT_ID), "verified": True, "mfa_enabled": False, "flags": 0})
            case ("GET", ["users", user_id]):
                return reply(self.user(user_id))
            case ("GET", ["oauth2", "applications", "@me"]):
                return reply(
                    {
                        "id": APP_ID,
                        "name": "chatops",
                        "icon": None,
                        "description": "",
                        "bot_public": False,
                        "bot_require_code_grant": False,
                        "verify_key": "00" * 32,
                        "flags": 0,
                        "owner": self.user(ALICE),
                        "team": None,
                    }
                )
            case ("GET", ["applications", _, *where]) if where[-1] == "commands":
                return reply(self.commands.get("/".join(where), []))
            case ("PUT", ["applications", _, *where]) if where[-1] == "commands":
                problem = check_commands(body)
                if problem:
                    return reply({"message": problem, "code": 50035}, 400)
                self.commands["/".join(where)] = [
                    {**c, "id": snowflake(), "version": snowflake()} for c in body
                ]
                return reply(self.commands["/".join(where)])
            case ("POST", ["channels", channel_id, "messages"]):
                return self._post(self.channels[channel_id], body)
            case ("PATCH", ["channels", channel_id, "messages", message_id]):
                posted = self.channels[channel_id].messages[message_id]
                problem = check_message(body)
                if problem:
                    return reply({"message": problem, "code": 50035}, 400)
                posted.content, posted.embeds = body.get("content", ""), body.get("embeds", [])
                posted.components = body.get("components", [])
                posted.edits += 1
                return reply(self.message_json(channel_id, posted))
            case ("DELETE", ["channels", channel_id, "messages", message_id]):
                channel = self.channels[channel_id]
                if message_id not in channel.messages:
                    return reply({"message": "Unknown Message", "code": 10008}, 404)
                del channel.messages[message_id]
                if message_id in channel.pins:
                    channel.pins.remove(message_id)
                return reply(None, 204)
            case ("PUT", ["channels", channel_id, "messages", "pins", message_id]):
                channel = self.channels[channel_id]
                _ = channel.messages[message_id]
                if message_id not in channel.pins:
                    channel.pins.append(message_id)
                return reply(None, 204)
            case ("PATCH", ["channels", channel_id]):
                channel = self.channels[channel_id]
                if len(body.get("topic", "")) > 1024:
                    return reply({"message": "Invalid Form Body", "code": 50035}, 400)
                channel.topic = body.get("topic", channel.topic)
                return reply(self.channel_json(channel))
            case ("PUT", ["channels", channel_id, "permissions", target]):
                self.channels[channel_id].overwrites[target] = {**body, "id": target}
                return reply(None, 204)
            case ("POST", ["guilds", guild_id, "channels"]):
                name = body["name"]
                if not name or len(name) > 100 or name != name.lower() or " " in name:
                    return reply({"message": "Invalid Form Body (name)", "code": 50035}, 400)
                channel = Channel(snowflake(), name, guild_id, body.get("topic") or "", body.get("parent_id"))
                channel.overwrites = {o["id"]: o for o in body.get("permission_overwrites", [])}
                self.channels[channel.id] = channel
                return reply(self.channel_json(channel), 201)
            case ("POST", ["users", "@me", "channels"]):
                recipient = body["recipient_id"]
                found = self.dm_with(recipient)
                if found is None:
                    found = Channel(snowflake(), "", None, recipient=recipient)
                    self.channels[found.id] = found
                return reply({"id": found.id, "type": 1, "recipients": [self.user(recipient)]})
            case ("POST", ["interactions", interaction_id, token, "callback"]):
                return self._callback(interaction_id, token, body)
            case ("PATCH", ["webhooks", _, token, "messages", "@original"]):
                interaction = self._by_token(token)
                interaction.original = body
                return reply({"id": snowflake(), "content": body.get("content", "")})
            case ("DELETE", ["webhooks", _, token, "messages", "@original"]):
                self._by_token(token).deleted = True
                return reply(None, 204)
            case ("POST", ["webhooks", _, token]):
                self._by_token(token).followups.append(body)
                return reply({"id": snowflake(), "content": body.get("content", "")})
        raise KeyError(f"{method} /{'/'.join(parts)}")

    def _post(self, channel: Channel, body: dict[str, Any]) -> web.Response:
        problem = check_message(body)
        if problem:
            return reply({"message": problem, "code": 50035}, 400)
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > 25:
            return reply({"message": "Invalid Form Body (nonce)", "code": 50035}, 400)
        if body.get("enforce_nonce") and str(nonce) in channel.nonces:  # the first message, not a new one
            return reply(self.message_json(channel.id, channel.messages[channel.nonces[str(nonce)]]))
        posted = Posted(
            snowflake(), BOT_ID, body.get("content", ""), body.get("embeds", []), body.get("components", [])
        )
        channel.messages[posted.id] = posted
        if body.get("enforce_nonce") and nonce is not None:
            channel.nonces[str(nonce)] = posted.id
        return reply(self.message_json(channel.id, posted))

    def _callback(self, interaction_id: str, token: str, body: dict[str, Any]) -> web.Response:
        interaction = self.interactions.get(interaction_id)
        if interaction is None or interaction.token != token:
            return reply({"message": "Unknown interaction", "code": 10062}, 404)
        if time.monotonic() - interaction.sent_at > ANSWER_WITHIN_S:
            return reply({"message": "Unknown interaction", "code": 10062}, 404)
        if interaction.responses:
            return reply({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        interaction.responses.append(body)
        if body["type"] == 4:
            interaction.original = body.get("data", {})
        return reply(None, 204)

    def _by_token(self, token: str) -> Interaction:
        found = next(i for i in self.interactions.values() if i.token == token)
        if not found.responses:
            raise KeyError("interaction webhook before its response")
        return found

    # --- JSON shapes ---

    def message_json(self, channel_id: str, posted: Posted) -> dict[str, Any]:
        channel = self.channels[channel_id]
        data = {
            "id": posted.id,
            "channel_id": channel_id,
            "author": self.user(posted.author),
            "content": posted.content,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": posted.embeds,
            "pinned": posted.id in channel.pins,
            "type": 0,
            "flags": 0,
            "components": posted.components,
        }
        if channel.guild_id:
            data["guild_id"] = channel.guild_id
        return data

    def channel_json(self, channel: Channel) -> dict[str, Any]:
        return {
            "id": channel.id,
            "type": 0,
            "guild_id": channel.guild_id,
            "name": channel.name,
            "position": 0,
            "permission_overwrites": list(channel.overwrites.values()),
            "topic": channel.topic or None,
            "nsfw": False,
            "parent_id": channel.parent_id,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    def guild_create(self) -> dict[str, Any]:
        member = {"roles": [], "joined_at": now_iso(), "deaf": False, "mute": False, "flags": 0}
        return {
            "id": GUILD_ID,
            "name": "test-guild",
            "icon": None,
            "owner_id": ALICE,
            "unavailable": False,
            "large": False,
            "member_count": len(self.users),
            "joined_at": now_iso(),
            "features": [],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "premium_tier": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
            "roles": [
                {
                    "id": GUILD_ID,
                    "name": "@everyone",
                    "permissions": "1071698660929",
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "members": [{"user": self.user(u), **member} for u in self.users],
            "channels": [self.channel_json(c) for c in self.channels.values() if c.guild_id == GUILD_ID],
        }

    # --- gateway ---

    async def _send(self, op: int, data: Any, event: str | None = None) -> None:
        assert self._ws is not None
        payload: dict[str, Any] = {"op": op, "d": data, "s": None, "t": event}
        if op == DISPATCH:
            self._seq += 1
            payload["s"] = self._seq
        raw = json.dumps(payload).encode()
        if self._z is not None:
            await self._ws.send_bytes(self._z.compress(raw) + self._z.flush(zlib.Z_SYNC_FLUSH))
        else:
            await self._ws.send_str(raw.decode())

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        await self.ready()
        await self._send(DISPATCH, data, event)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._ws, self.connections = ws, self.connections + 1
        self._z = zlib.compressobj() if request.query.get("compress") == "zlib-stream" else None
        self._identified = False
        await self._send(HELLO, {"heartbeat_interval": self.heartbeat_interval_ms})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            self.gateway_log.append(data)
            op = data.get("op")
            if op == HEARTBEAT:
                await self._send(HEARTBEAT_ACK, None)
            elif op == IDENTIFY:
                if data["d"].get("token") != TOKEN:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                if data["d"].get("intents", 0) & (1 << 15) and not self.message_content_allowed:
                    await ws.close(code=4014, message=b"Disallowed intent(s).")
                    break
                ready = {
                    "v": 10,
                    "user": {**self.user(BOT_ID), "verified": True, "mfa_enabled": False, "flags": 0},
                    "guilds": [{"id": GUILD_ID, "unavailable": True}],
                    "session_id": "fake-session-1",
                    "resume_gateway_url": self.gateway_url,
                    "application": {"id": APP_ID, "flags": 0},
                    "private_channels": [],
                    "relationships": [],
                    "user_settings": {},
                }
                await self._send(DISPATCH, ready, "READY")
                await self._send(DISPATCH, self.guild_create(), "GUILD_CREATE")
                self._identified = True
            elif op == RESUME:
                await self._send(DISPATCH, {}, "RESUMED")
                self._identified = True
            await self._notify()
        if self._ws is ws:
            self._ws = None
        await self._notify()
        return ws

    async def ready(self) -> None:
        """Wait until a client is connected and identified (or resumed)."""
        await self.wait_for(lambda: self._ws is not None and not self._ws.closed and self._identified)

    def identify(self) -> dict[str, Any]:
        return next(m for m in reversed(self.gateway_log) if m.get("op") == IDENTIFY)["d"]

    async def drop(self) -> None:
        """Close the gateway socket as a Discord node going away would (the client should resume)."""
        assert self._ws is not None
        ws, self._ws, self._identified = self._ws, None, False
        await ws.close(code=4000, message=b"Unknown error")

    # --- what people do ---

    def message(self, content: str, author: str, channel: str = OPS_ID) -> dict[str, Any]:
        """A MESSAGE_CREATE payload: ``author`` types ``content`` in ``channel``."""
        posted = Posted(snowflake(), author, content, [], [])
        self.channels[channel].messages[posted.id] = posted
        return self._typed(channel, posted)

    def edit(self, channel: str, message_id: str, content: str) -> dict[str, Any]:
        """A MESSAGE_UPDATE payload: the author edits the message (the whole message, as Discord sends it)."""
        posted = self.channels[channel].messages[message_id]
        posted.content, posted.edits = content, posted.edits + 1
        return {**self._typed(channel, posted), "edited_timestamp": now_iso()}

    def delete(self, channel: str, message_id: str) -> dict[str, Any]:
        """A MESSAGE_DELETE payload: the message is taken back (only its ids are sent)."""
        del self.channels[channel].messages[message_id]
        data = {"id": message_id, "channel_id": channel}
        guild = self.channels[channel].guild_id
        return {**data, "guild_id": guild} if guild else data

    def _typed(self, channel: str, posted: Posted) -> dict[str, Any]:
        data = self.message_json(channel, posted)
        data["mentions"] = [
            self.user(u) for u in re.findall(r"<@!?(\d+)>", posted.content) if u in self.users
        ]
        data["member"] = {"roles": [], "joined_at": now_iso(), "deaf": False, "mute": False, "flags": 0}
        return data

    def _interaction(self, kind: int, data: dict[str, Any], user: str, channel: str) -> dict[str, Any]:
        interaction = Interaction(snowflake(), f"itok-{snowflake()}", time.monotonic())
        self.interactions[interaction.id] = interaction
        found = self.channels[channel]
        payload: dict[str, Any] = {
            "id": interaction.id,
            "application_id": APP_ID,
            "type": kind,
            "token": interaction.token,
            "version": 1,
            "channel_id": channel,
            "channel": self.channel_json(found)
            if found.guild_id
            else {"id": channel, "type": 1, "recipients": [self.user(user)], "flags": 0},
            "data": data,
            "locale": "en-US",
            "app_permissions": "1071698660929",
            "entitlements": [],
            "context": 0 if found.guild_id else 1,
            "attachment_size_limit": 8388608,
        }
        if found.guild_id:
            payload["guild_id"] = found.guild_id
            payload["guild_locale"] = "en-US"
            payload["member"] = {
                "user": self.user(user),
                "roles": [],
                "joined_at": now_iso(),
                "permissions": "1071698660929",
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        else:
            payload["user"] = self.user(user)
        return payload

    def slash(
        self, name: str, user: str, sub: str | None = None, channel: str = OPS_ID, **values: Any
    ) -> dict[str, Any]:
        options = [
            {"name": k, "type": 5 if isinstance(v, bool) else 3, "value": v} for k, v in values.items()
        ]
        if sub is not None:
            options = [{"name": sub, "type": 1, "options": options}]
        return self._interaction(
            2, {"id": snowflake(), "name": name, "type": 1, "options": options}, user, channel
        )

    def press(self, channel: str, message_id: str, custom_id: str, user: str) -> dict[str, Any]:
        payload = self._interaction(3, {"custom_id": custom_id, "component_type": 2}, user, channel)
        posted = self.channels[channel].messages.get(message_id)
        payload["message"] = self.message_json(channel, posted) if posted else {"id": message_id}
        return payload

    def submit(
        self, custom_id: str, values: dict[str, str], user: str, channel: str = OPS_ID
    ) -> dict[str, Any]:
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()
        ]
        return self._interaction(5, {"custom_id": custom_id, "components": rows}, user, channel)

    async def interact(self, payload: dict[str, Any]) -> Interaction:
        """Dispatch an INTERACTION_CREATE and wait for its (first) response."""
        interaction = self.interactions[payload["id"]]
        await self.dispatch("INTERACTION_CREATE", payload)
        await self.wait_for(lambda: interaction.responses, ANSWER_WITHIN_S)
        return interaction


def check_message(body: dict[str, Any]) -> str | None:
    """Discord's checks on a message payload (the part chatops uses)."""
    content, embeds, rows = body.get("content", ""), body.get("embeds", []), body.get("components", [])
    if not content and not embeds and not rows:
        return "Cannot send an empty message"
    if len(content) > 2000 or len(embeds) > 10 or len(rows) > 5:
        return "Invalid Form Body"
    for embed in embeds:
        if len(embed.get("description", "")) > 4096 or len(embed.get("fields", [])) > 25:
            return "Invalid Form Body (embed)"
    ids: list[str] = []
    for row in rows:
        if row.get("type") != 1 or not 0 < len(row.get("components", [])) <= 5:
            return "Invalid Form Body (components)"
        for button in row["components"]:
            if (
                button.get("type") != 2
                or len(button.get("label", "")) > 80
                or not 0 < len(button["custom_id"]) <= 100
            ):
                return "Invalid Form Body (button)"
            ids.append(button["custom_id"])
    if len(set(ids)) != len(ids):
        return "Invalid Form Body (component custom id cannot be duplicated)"
    return None


def check_commands(commands: list[dict[str, Any]]) -> str | None:
    """Discord's checks on application commands (names, descriptions, option order)."""

    def bad(option: dict[str, Any]) -> bool:
        name, description = option.get("name", ""), option.get("description", "")
        if not name or len(name) > 32 or name != name.lower() or not 0 < len(description) <= 100:
            return True
        children = option.get("options") or []
        required = [bool(o.get("required")) for o in children]
        if required != sorted(required, reverse=True) or len(children) > 25:
            return True
        return any(bad(o) for o in children)

    return "Invalid Form Body (application command)" if any(bad(c) for c in commands) else None

"""A local Slack for the tests: the Web API methods chatops calls, Socket Mode, signed HTTP requests.

It speaks Slack's documented wire formats, so the real slack-sdk client code
runs against it unchanged: ``POST /api/<method>`` with a bearer token and
JSON or form arguments, answered ``{"ok": …}``; 429 with ``Retry-After``
when rate limited; ``apps.connections.open`` handing out a websocket where
envelopes are pushed and acknowledged; ``v0`` signed HTTP requests to an
app's endpoints; ``response_url`` posts; trigger ids that expire after 3 s.
People's edits and deletions come as ``message_changed`` /
``message_deleted`` events.  It keeps what a workspace would show (channels,
messages with their edits, pins, topics, members, modals, ephemeral messages) for the tests
to assert on.  Loopback only.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import ClientSession, WSMsgType, web

BOT_USER = "UBOT00001"
BOT_ID = "BBOT00001"
BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-1-test-app-token"
TEAM = "T0000TEST"
TRIGGER_TTL_S = 3.0
_NAME_OK = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
_QUERY_ONLY = {"users.info", "auth.test"}  # methods that take no JSON body


@dataclass
class Posted:
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    edits: int = 0


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    members: list[str] = field(default_factory=list)
    topic: str = ""
    messages: dict[str, Posted] = field(default_factory=dict)
    pins: list[str] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [m.text for m in self.messages.values()]


@dataclass
class Envelope:
    envelope_id: str
    acked: asyncio.Future[dict[str, Any]]
    sent_at: float
    ack_ms: float | None = None


class FakeSlack:
    def __init__(self) -> None:
        self.port = 0
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.ephemeral: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.throttled = 0
        self.limits: dict[str, int] = {}  # method -> calls allowed per channel per window
        self.latency_s: dict[str, float] = {}  # method -> how long Slack takes to answer it
        self.limit_window_s = 1.0
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._triggers: dict[str, float] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._envelopes: dict[str, Envelope] = {}
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.add_user(BOT_USER, "chatops")
        self.add_channel("C0GENERAL", "general", members=[BOT_USER])

    # --- setup ---

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def add_user(self, user_id: str, name: str) -> str:
        self.users[user_id] = {"id": user_id, "name": name, "profile": {"display_name": name}}
        return user_id

    def add_channel(self, channel_id: str, name: str, members: list[str] | None = None) -> Channel:
        self.channels[channel_id] = Channel(channel_id, name, members=list(members or []))
        return self.channels[channel_id]

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link/", self._socket)
        app.router.add_post("/response/{rid}", self._response_url)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- observing ---

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], Any], seconds: float = 10.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked after every change), and return it."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), seconds)
        return predicate()

    def called(self, method: str) -> list[dict[str, Any]]:
        return [args for m, args in self.calls if m == method]

    def channel_named(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name), None)

    def dm_with(self, user: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.is_im and user in c.members), None)

    # --- Web API ---

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if raw:
            if request.content_type == "application/json":
                if method not in _QUERY_ONLY:
                    args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw.decode())))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.pop("token", None)
        self.calls.append((method, args))
        if method in self.latency_s:
            await asyncio.sleep(self.latency_s[method])  # a slow Slack, not synchronisation
        limited = self._throttle(method, str(args.get("channel", "")))
        if limited:
            self.throttled += 1
            await self._notify()
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token is None:
            body: dict[str, Any] = {"ok": False, "error": "not_authed"}
        elif token != expected:
            body = {"ok": False, "error": "invalid_auth"}
        elif handler is None:
            body = {"ok": False, "error": "unknown_method"}
        else:
            body = handler(args)
        await self._notify()
        return web.json_response(body)

    def _throttle(self, method: str, channel: str) -> bool:
        allowed = self.limits.get(method)
        if allowed is None:
            return False
        now = time.monotonic()
        start, count = self._windows.get((method, channel), (now, 0))
        if now - start >= self.limit_window_s:
            start, count = now, 0
        self._windows[(method, channel)] = (start, count + 1)
        return count + 1 > allowed

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._clock):06d}"

    def _channel(self, args: dict[str, Any]) -> Channel | dict[str, Any]:
        channel = self.channels.get(str(args.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return channel

    def api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "team": "test",
            "user": "chatops",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
        }

    def api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={uuid.uuid4()}"}

    def api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user", "")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        if BOT_USER not in channel.members:
            return {"ok": False, "error": "not_in_channel"}
        problem = check_message(args)
        if problem:
            return {"ok": False, "error": problem}
        ts = self._ts()
        thread = args.get("thread_ts")
        channel.messages[ts] = Posted(ts, BOT_USER, args.get("text", ""), args.get("blocks", []), thread)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": ts,
            "message": {"text": args.get("text", ""), "ts": ts},
        }

    def api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        posted = channel.messages.get(str(args.get("ts", "")))
        if posted is None:
            return {"ok": False, "error": "message_not_found"}
        problem = check_message(args)
        if problem:
            return {"ok": False, "error": problem}
        posted.text, posted.blocks = args.get("text", ""), args.get("blocks", [])
        posted.edits += 1
        return {"ok": True, "channel": channel.id, "ts": posted.ts}

    def api_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        ts = str(args.get("ts", ""))
        posted = channel.messages.get(ts)
        if posted is None:
            return {"ok": False, "error": "message_not_found"}
        if posted.user != BOT_USER:  # a bot token deletes only the bot's own messages
            return {"ok": False, "error": "cant_delete_message"}
        del channel.messages[ts]
        if ts in channel.pins:
            channel.pins.remove(ts)
        return {"ok": True, "channel": channel.id, "ts": ts}

    def api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        if args.get("user") not in channel.members:
            return {"ok": False, "error": "user_not_in_channel"}
        self.ephemeral.append({"channel": channel.id, **args})
        return {"ok": True, "message_ts": self._ts()}

    def api_conversations_create(self, args: dict[str, Any]) -> dict[str, Any]:
        name = str(args.get("name", ""))
        if not name or len(name) > 80:
            return {"ok": False, "error": "invalid_name_maxlength" if name else "invalid_name_required"}
        if not set(name) <= _NAME_OK:
            return {"ok": False, "error": "invalid_name_specials"}
        if self.channel_named(name) is not None:
            return {"ok": False, "error": "name_taken"}
        channel_id = f"C{next(self._ids):08d}"
        private = args.get("is_private") in (True, "true", "1")
        channel = self.add_channel(channel_id, name, members=[BOT_USER])
        channel.is_private = private
        return {"ok": True, "channel": {"id": channel_id, "name": name, "is_private": private}}

    def api_conversations_invite(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if any(u not in self.users for u in users):
            return {"ok": False, "error": "user_not_found"}
        if BOT_USER in users:
            return {"ok": False, "error": "cant_invite_self"}
        if len(users) == 1 and users[0] in channel.members:
            return {"ok": False, "error": "already_in_channel"}
        channel.members += [u for u in users if u not in channel.members]
        return {"ok": True, "channel": {"id": channel.id}}

    def api_conversations_setTopic(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        topic = str(args.get("topic", ""))
        if len(topic) > 250:
            return {"ok": False, "error": "too_long"}
        channel.topic = topic
        return {"ok": True, "channel": {"id": channel.id, "topic": {"value": topic}}}

    def api_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        if channel.is_private:
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        if BOT_USER not in channel.members:
            channel.members.append(BOT_USER)
        return {"ok": True, "channel": {"id": channel.id}}

    def api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("users", ""))
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        found = self.dm_with(user)
        if found is None:
            found = self.add_channel(f"D{next(self._ids):08d}", user, members=[BOT_USER, user])
            found.is_im = True
        return {"ok": True, "channel": {"id": found.id}}

    def api_pins_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        ts = str(args.get("timestamp", ""))
        if ts not in channel.messages:
            return {"ok": False, "error": "message_not_found"}
        if ts in channel.pins:
            return {"ok": False, "error": "already_pinned"}
        channel.pins.append(ts)
        return {"ok": True}

    def api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = str(args.get("trigger_id", ""))
        issued = self._triggers.pop(trigger, None)
        if issued is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        if time.monotonic() - issued > TRIGGER_TTL_S:
            return {"ok": False, "error": "expired_trigger_id"}
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") != "modal" or not view.get("blocks"):
            return {"ok": False, "error": "invalid_arguments"}
        if len(view["title"]["text"]) > 24:
            return {"ok": False, "error": "invalid_arguments"}
        view_id = f"V{next(self._ids):08d}"
        self.views[view_id] = {**view, "id": view_id, "hash": uuid.uuid4().hex[:10]}
        return {"ok": True, "view": self.views[view_id]}

    async def _response_url(self, request: web.Request) -> web.Response:
        self.responses.append({"rid": request.match_info["rid"], **(await request.json())})
        await self._notify()
        return web.Response(text="ok")

    # --- Socket Mode ---

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {"type": "hello", "num_connections": len(self._sockets), "connection_info": {"app_id": "A0TEST"}}
        )
        await self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    envelope = self._envelopes.get(data.get("envelope_id", ""))
                    if envelope is not None and not envelope.acked.done():
                        envelope.ack_ms = (time.monotonic() - envelope.sent_at) * 1000
                        envelope.acked.set_result(data)
        finally:
            self._sockets.remove(ws)
        return ws

    async def connected(self) -> None:
        await self.wait_for(lambda: self._sockets)

    async def push(self, kind: str, payload: dict[str, Any], retry_attempt: int = 0) -> Envelope:
        """Push one envelope to the app and wait for its acknowledgement."""
        await self.connected()
        envelope = Envelope(str(uuid.uuid4()), asyncio.get_running_loop().create_future(), time.monotonic())
        self._envelopes[envelope.envelope_id] = envelope
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope.envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        await asyncio.wait_for(envelope.acked, 3.0)  # Slack's deadline
        return envelope

    # --- payloads people cause ---

    def trigger(self) -> str:
        trigger = f"{next(self._ids)}.{uuid.uuid4().hex[:12]}"
        self._triggers[trigger] = time.monotonic()
        return trigger

    def message_event(
        self, text: str, user: str, channel: str = "C0GENERAL", thread_ts: str | None = None
    ) -> dict[str, Any]:
        ts = self._ts()
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "im" if channel.startswith("D") else "channel",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        if channel in self.channels:
            self.channels[channel].messages[ts] = Posted(ts, user, text, [], thread_ts)
        return self._callback(event)

    def mention_event(self, text: str, user: str, channel: str = "C0GENERAL") -> list[dict[str, Any]]:
        """A message addressing the bot: Slack sends it as ``message`` and as ``app_mention``."""
        message = self.message_event(f"<@{BOT_USER}> {text}", user, channel)
        mention = {**message["event"], "type": "app_mention"}
        return [message, self._callback(mention)]

    def edit_event(self, channel: str, ts: str, text: str) -> dict[str, Any]:
        """A person edits their message: the ``message_changed`` event Slack sends (and the edit kept)."""
        posted = self.channels[channel].messages[ts]
        before = {"type": "message", "user": posted.user, "text": posted.text, "ts": ts}
        if posted.thread_ts:
            before["thread_ts"] = posted.thread_ts
        posted.text, posted.edits = text, posted.edits + 1
        now = self._ts()
        return self._callback(
            {
                "type": "message",
                "subtype": "message_changed",
                "hidden": True,
                "channel": channel,
                "ts": now,
                "event_ts": now,
                "channel_type": "channel",
                "message": {**before, "text": text, "edited": {"user": posted.user, "ts": now}},
                "previous_message": before,
            }
        )

    def delete_event(self, channel: str, ts: str) -> dict[str, Any]:
        """A person deletes their message: the ``message_deleted`` event Slack sends (and it gone)."""
        posted = self.channels[channel].messages.pop(ts)
        before = {"type": "message", "user": posted.user, "text": posted.text, "ts": ts}
        now = self._ts()
        return self._callback(
            {
                "type": "message",
                "subtype": "message_deleted",
                "hidden": True,
                "channel": channel,
                "ts": now,
                "deleted_ts": ts,
                "event_ts": now,
                "channel_type": "channel",
                "previous_message": before,
            }
        )

    def _callback(self, event: dict[str, Any]) -> dict[str, Any]:
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": "A0TEST",
            "event": event,
            "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": int(time.time()),
        }

    def slash_command(self, command: str, text: str, user: str, channel: str = "C0GENERAL") -> dict[str, Any]:
        rid = uuid.uuid4().hex
        found = self.channels.get(channel)
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "directmessage"
            if found and found.is_im
            else (found.name if found else "unknown"),
            "user_id": user,
            "user_name": self.users[user]["name"],
            "command": command,
            "text": text,
            "api_app_id": "A0TEST",
            "response_url": f"{self.base}/response/{rid}",
            "trigger_id": self.trigger(),
        }

    def button_press(self, channel: str, ts: str, action_id: str, user: str) -> dict[str, Any]:
        """A ``block_actions`` payload for pressing a button on a message the bot posted."""
        posted = self.channels[channel].messages[ts]
        element = next(
            e
            for block in posted.blocks
            if block.get("type") == "actions"
            for e in block["elements"]
            if e["action_id"] == action_id
        )
        container: dict[str, Any] = {"type": "message", "message_ts": ts, "channel_id": channel}
        if posted.thread_ts:
            container["thread_ts"] = posted.thread_ts
        return {
            "type": "block_actions",
            "user": {"id": user, "username": self.users[user]["name"], "team_id": TEAM},
            "api_app_id": "A0TEST",
            "team": {"id": TEAM},
            "container": container,
            "trigger_id": self.trigger(),
            "channel": {"id": channel, "name": self.channels[channel].name},
            "message": {"ts": ts, "text": posted.text, "blocks": posted.blocks},
            "response_url": f"{self.base}/response/{uuid.uuid4().hex}",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b",
                    "value": element["value"],
                    "text": element["text"],
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }

    def view_submission(self, view_id: str, values: dict[str, str], user: str) -> dict[str, Any]:
        view = self.views[view_id]
        state: dict[str, Any] = {}
        for block in view["blocks"]:
            value = values.get(block["block_id"])
            element = block["element"]
            if element["type"] == "static_select":
                chosen = {"value": value} if value is not None else None
                state[block["block_id"]] = {"value": {"type": "static_select", "selected_option": chosen}}
            else:
                state[block["block_id"]] = {"value": {"type": "plain_text_input", "value": value}}
        return {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": user, "username": self.users[user]["name"]},
            "api_app_id": "A0TEST",
            "trigger_id": self.trigger(),
            "view": {**view, "state": {"values": state}},
        }

    # --- HTTP mode ---

    @staticmethod
    def signature(secret: str, body: bytes, timestamp: int) -> str:
        base = b"v0:" + str(timestamp).encode() + b":" + body
        return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()

    async def post_signed(
        self,
        url: str,
        payload: dict[str, Any],
        secret: str,
        *,
        form: bool = False,
        interactive: bool = False,
        timestamp: int | None = None,
        tamper: bool = False,
        retry_num: int = 0,
    ) -> tuple[int, str]:
        """POST to an app endpoint as Slack does: JSON (events) or form-encoded, signed."""
        assert url.startswith("http://127.0.0.1:"), "loopback only"
        if interactive:
            body, content_type = (
                urlencode({"payload": json.dumps(payload)}).encode(),
                "application/x-www-form-urlencoded",
            )
        elif form:
            body, content_type = urlencode(payload).encode(), "application/x-www-form-urlencoded"
        else:
            body, content_type = json.dumps(payload).encode(), "application/json"
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": self.signature(secret, body, stamp),
        }
        if retry_num:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        if tamper:
            body = body.replace(b"declare", b"resolve") if b"declare" in body else body + b" "
        async with ClientSession() as session, session.post(url, data=body, headers=headers) as response:
            return response.status, await response.text()


def unescape(text: str) -> str:
    """Message text as a person reads it in Slack (``&lt;`` shows as ``<``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def check_message(args: dict[str, Any]) -> str | None:
    """Slack's checks on a message's shape (the subset of Block Kit chatops uses)."""
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not args.get("text") and not blocks:
        return "no_text"
    if not blocks:
        return None
    if len(blocks) > 50:
        return "invalid_blocks"
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            text = block.get("text", {}).get("text")
            fields = block.get("fields", [])
            if (text is None and not fields) or (text is not None and not 0 < len(text) <= 3000):
                return "invalid_blocks"
            if len(fields) > 10 or any(len(f["text"]) > 2000 for f in fields):
                return "invalid_blocks"
        elif kind == "actions":
            elements = block.get("elements", [])
            ids = [e.get("action_id") for e in elements]
            if not 0 < len(elements) <= 25 or len(set(ids)) != len(ids):
                return "invalid_blocks"
            for element in elements:
                if element.get("type") != "button" or len(element["text"]["text"]) > 75:
                    return "invalid_blocks"
                if len(element.get("value", "")) > 2000 or len(element["action_id"]) > 255:
                    return "invalid_blocks"
        elif kind != "context":
            return "invalid_blocks"
    return None

"""The Slack transport: channels, Block Kit messages, slash commands, buttons and modals.

Inbound payloads arrive over Socket Mode (``socket``) or as signed HTTP
requests (``http``); either way each is acknowledged first and then given to
``receive``, which turns it into a ``Message`` and queues it behind its
room's earlier ones.  In a bridged channel every message a person types is
delivered (the core mirrors it), and their edits and deletions follow in the
same order.  A command that needs its form opens it at once, while
Slack's trigger id (valid for 3 seconds) still works.  Outbound calls go
through slack-sdk's ``AsyncWebClient``, which waits out a 429's
``Retry-After`` and retries, under the core's per-room lock: a rate-limited
room's messages are delayed, in order, never dropped.
"""

from __future__ import annotations

import json
import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from chatops.commands.compose import command_text
from chatops.commands.parser import ParseError, tokenize
from chatops.dedup import RecentIds
from chatops.inbound import RoomQueues
from chatops.models.chat import (
    Capabilities,
    Message,
    MessageDeleted,
    MessageEdited,
    MessageRef,
    Room,
    ThreadRef,
    User,
)
from chatops.models.content import Content, Form
from chatops.transports.base import Transport, TransportError
from chatops.transports.names import NameBook
from chatops.transports.slack import inbound, render
from chatops.transports.slack.config import SlackConfig
from chatops.transports.slack.manifest import slash_names

if TYPE_CHECKING:
    from aiohttp.web import RouteDef

    from chatops.app import App
    from chatops.context import CommandContext

log = logging.getLogger("chatops.slack")
_READ_METHODS = frozenset({"auth.test", "users.info"})  # Slack takes their arguments as a query, not JSON
_CHANNEL_CHARS = re.compile(r"[^a-z0-9_\-]+")


@dataclass(frozen=True, slots=True)
class Interaction:
    """What an interactive payload allows for a while: a modal (trigger) and private answers."""

    user: str
    channel: str
    trigger_id: str | None
    response_url: str | None


def channel_name(name: str) -> str:
    """A valid Slack channel name: lowercase letters, digits, - and _, at most 80 characters."""
    cleaned = _CHANNEL_CHARS.sub("-", name.lower()).strip("-_")
    return cleaned[:80].rstrip("-") or "incident"


class SlackTransport(Transport):
    capabilities = Capabilities(
        threads=True,
        buttons=True,
        modals=True,
        edits=True,
        native_commands=True,
        ephemeral=True,
        create_rooms=True,
        pins=True,
        topics=True,
        direct_messages=True,
        markdown=True,
        deletes=True,
    )

    def __init__(self, app: App, name: str, config: dict[str, Any]) -> None:
        super().__init__(app, name, config)
        self.settings = self.parse_settings(SlackConfig)
        # Without text_commands the bot hears only mentions: a bridge could not mirror this side.
        self.capabilities = self.capabilities.model_copy(
            update={"reads_messages": self.settings.text_commands}
        )
        self.prefix = self.settings.command_prefix or app.config.core.command_prefix
        self.client: AsyncWebClient | None = None
        self.bot_user_id = ""
        self.bot_id = ""
        self.slash: dict[str, str] = {}
        self.queues = RoomQueues(name)
        self._receiver: Any = None
        self._seen = RecentIds()
        self.names = NameBook()
        self._direct: dict[str, str] = {}  # user id -> DM channel
        self._interactions: OrderedDict[str, Interaction] = OrderedDict()

    # --- ids ---

    def user_of(self, user_id: str) -> User:
        return User(id=self.opaque(user_id), name=self.names.name(user_id))

    # --- lifecycle ---

    async def start(self) -> None:
        settings = self.settings
        self.client = AsyncWebClient(
            token=settings.bot_token.get_secret_value(),
            base_url=settings.api_url,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(max_retry_count=3),
                AsyncRateLimitErrorRetryHandler(max_retry_count=settings.rate_limit_retries),
            ],
        )
        auth = await self._call("auth.test")
        self.bot_user_id, self.bot_id = str(auth["user_id"]), str(auth.get("bot_id") or "")
        self.slash = slash_names(self.app.commands, settings.slash_command_prefix)
        if settings.mode == "socket":
            from chatops.transports.slack.socket import SocketReceiver

            self._receiver = SocketReceiver(self, self.client)
            await self._receiver.start()

    async def stop(self) -> None:
        if self._receiver is not None:
            await self._receiver.stop()
            self._receiver = None
        await self.queues.stop()

    async def idle(self) -> None:
        """Wait until every accepted payload has been handled (tests and graceful shutdown)."""
        await self.queues.idle()

    def web_routes(self) -> list[RouteDef]:
        if self.settings.mode != "http":
            return []
        from chatops.transports.slack.http import routes

        return routes(self)

    async def _call(self, method: str, **params: Any) -> dict[str, Any]:
        """One Web API call; a refusal becomes a TransportError naming the method and Slack's error."""
        assert self.client is not None, "the Slack transport is not started"
        try:
            if method in _READ_METHODS:
                response = await self.client.api_call(method, http_verb="GET", params=params)
            else:
                response = await self.client.api_call(method, json=params)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown error") if exc.response is not None else str(exc)
            raise TransportError(f"Slack {method}: {error}") from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    @staticmethod
    def _error(exc: TransportError) -> str:
        return str(exc).rsplit(": ", 1)[-1]

    # --- inbound ---

    def accept(self, kind: str, payload: dict[str, Any]) -> None:
        """Take an acknowledged payload; it is handled on its own task, the caller returns at once."""
        self.queues.accept(self.receive(kind, payload), kind)

    async def receive(self, kind: str, payload: dict[str, Any]) -> None:
        """One acknowledged payload (Socket Mode envelope type or HTTP endpoint kind)."""
        try:
            if kind == "events_api":
                await self._event(payload)
            elif kind == "slash_commands":
                await self._slash_command(payload)
            elif kind == "interactive":
                await self._interactive(payload)
        except Exception:
            log.exception("a Slack %s payload could not be handled", kind)

    async def _event(self, envelope: dict[str, Any]) -> None:
        event = envelope.get("event")
        if not isinstance(event, dict) or event.get("type") not in ("message", "app_mention"):
            return
        if event.get("subtype") in (inbound.CHANGED, inbound.DELETED):
            self._changed(event)
            return
        if not inbound.typed_message(event, self.bot_user_id):
            return
        if event["type"] == "message" and not self.settings.text_commands:
            return
        channel, ts = event["channel"], str(event.get("ts", ""))
        # A mention arrives twice (message and app_mention): the same channel/ts is one event.
        event_id = f"{channel}/{ts}"
        if self._seen.seen(event_id):
            return
        plain = inbound.plain_text(event["text"])
        text = inbound.command_text(plain, self.prefix, self.bot_user_id)
        room = self._room(channel, event.get("channel_type") == "im")
        if text is None and not self.app.bridges.bridged(room.id):
            return  # chatter, and no bridge to mirror it into
        thread_ts = event.get("thread_ts")
        user = str(event["user"])
        thread = ThreadRef(room_id=room.id, id=str(thread_ts)) if thread_ts else None

        async def handle() -> None:
            sender = await self._sender(user)
            said = await self._said(plain)
            await self._handle(
                Message(
                    event_id=event_id,
                    room=room,
                    sender=sender,
                    text=text or said,
                    thread=thread,
                    message_id=ts,
                    said=said,
                )
            )

        self.queues.submit(room.id, handle)

    def _changed(self, event: dict[str, Any]) -> None:
        """An edit or a deletion: only a bridged channel's matter (its copies follow), in its order."""
        channel = event.get("channel")
        if not isinstance(channel, str):
            return
        room = self._room(channel, event.get("channel_type") == "im")
        if not self.app.bridges.bridged(room.id) or self._seen.seen(f"{channel}/{event.get('ts')}"):
            return
        edit = inbound.edit(event, self.bot_user_id)
        gone = inbound.deleted_ts(event, self.bot_user_id)
        if edit is not None:

            async def edited() -> None:
                sender = await self._sender(edit.user)
                said = await self._said(inbound.plain_text(edit.text))
                await self.app.bridges.edited(
                    MessageEdited(room=room, sender=sender, message_id=edit.ts, text=said)
                )

            self.queues.submit(room.id, edited)
        elif gone is not None:
            self.queues.submit(
                room.id, lambda: self.app.bridges.deleted(MessageDeleted(room=room, message_id=gone))
            )

    async def _said(self, plain: str) -> str:
        """What a person typed as people read it: the names of those mentioned learnt first."""
        for user_id in inbound.MENTIONED.findall(plain):
            await self._sender(user_id)
        return inbound.said_text(plain, self.names.name)

    async def _slash_command(self, payload: dict[str, Any]) -> None:
        text = inbound.slash_text(
            str(payload.get("command", "")), str(payload.get("text", "")), self.prefix, self.slash
        )
        user, channel = str(payload.get("user_id", "")), str(payload.get("channel_id", ""))
        if text is None or not user or not channel:
            return
        self.names.learn(user, payload.get("user_name"))
        event_id = f"slash/{payload.get('trigger_id') or payload.get('response_url')}"
        self._interaction(
            event_id, Interaction(user, channel, payload.get("trigger_id"), payload.get("response_url"))
        )
        message = Message(
            event_id=event_id,
            room=self._room(channel, str(payload.get("channel_name")) == "directmessage"),
            sender=self.user_of(user),
            text=text,
        )
        await self._run(message)

    async def _interactive(self, payload: dict[str, Any]) -> None:
        kind = payload.get("type")
        if kind == "block_actions":
            await self._button(payload)
        elif kind == "view_submission" and payload.get("view", {}).get("callback_id") == render.FORM_CALLBACK:
            await self._form_submitted(payload)

    async def _button(self, payload: dict[str, Any]) -> None:
        user = str(payload.get("user", {}).get("id", ""))
        container = payload.get("container", {})
        channel = str(payload.get("channel", {}).get("id") or container.get("channel_id", ""))
        if not user or not channel:
            return
        self.names.learn(user, payload.get("user", {}).get("username"))
        thread_ts = container.get("thread_ts")
        for action in payload.get("actions", []):
            command = action.get("value")
            if not isinstance(command, str) or not command.startswith(self.prefix):
                continue
            event_id = f"action/{action.get('action_ts')}/{user}/{action.get('action_id')}"
            self._interaction(
                event_id, Interaction(user, channel, payload.get("trigger_id"), payload.get("response_url"))
            )
            await self._run(
                Message(
                    event_id=event_id,
                    room=self._room(channel, False),
                    sender=self.user_of(user),
                    text=command,
                    thread=ThreadRef(room_id=self.opaque(channel), id=str(thread_ts)) if thread_ts else None,
                )
            )

    async def _form_submitted(self, payload: dict[str, Any]) -> None:
        view = payload["view"]
        user = str(payload.get("user", {}).get("id", ""))
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            channel, base = str(meta["channel"]), str(meta["text"])
            found = self.app.commands.lookup(tokenize(base[len(self.prefix) :]), self.prefix)
        except (ValueError, KeyError, TypeError, ParseError):
            log.warning("a Slack form came back without its command; ignored")
            return
        if found.command is None or not user:
            return
        event_id = f"view/{view.get('id')}/{view.get('hash', '')}"
        self._interaction(event_id, Interaction(user, channel, None, None))
        thread = meta.get("thread")
        room = self._room(channel, False)
        text = command_text(base, found.command, render.submitted_values(view))

        async def handle() -> None:
            await self._handle(
                Message(
                    event_id=event_id,
                    room=room,
                    sender=await self._sender(user),
                    text=text,
                    thread=ThreadRef(room_id=room.id, id=str(thread)) if thread else None,
                )
            )

        self.queues.submit(room.id, handle)

    async def _handle(self, message: Message) -> None:
        """In the room's turn: learn the names of the people mentioned, then run the command."""
        for user_id in inbound.MENTIONED.findall(message.text):
            await self._sender(user_id)
        await self.app.dispatcher.handle(message)

    async def _run(self, message: Message) -> None:
        """An interaction: its form now (the trigger expires), otherwise in room order."""
        if not await self.app.dispatcher.open_form_first(message):
            self.queues.submit(message.room.id, lambda: self._handle(message))

    def _interaction(self, event_id: str, interaction: Interaction) -> None:
        self._interactions[event_id] = interaction
        while len(self._interactions) > 1000:
            self._interactions.popitem(last=False)

    def _room(self, channel: str, direct: bool) -> Room:
        return Room(id=self.opaque(channel), name=channel, direct=direct or channel.startswith("D"))

    async def _sender(self, user_id: str) -> User:
        if user_id not in self.names:
            try:
                info = (await self._call("users.info", user=user_id)).get("user", {})
                profile = info.get("profile", {})
                self.names.learn(user_id, profile.get("display_name") or info.get("name") or user_id)
            except TransportError as exc:
                log.warning("users.info %s: %s", user_id, exc)
                self.names.learn(user_id, user_id)
        return self.user_of(user_id)

    # --- outbound ---

    async def send(
        self, room_id: str, content: Content, thread: ThreadRef | None, idempotency_key: str | None = None
    ) -> MessageRef:
        channel = self.local(room_id)
        body = render.render(content, self.name)
        params: dict[str, Any] = {"channel": channel, "text": body.text, "blocks": body.blocks}
        if thread is not None:
            params["thread_ts"] = thread.id
        try:
            sent = await self._call("chat.postMessage", **params)
        except TransportError as exc:
            if self._error(exc) != "not_in_channel":
                raise
            await self._call("conversations.join", channel=channel)  # a public channel: join, then answer
            sent = await self._call("chat.postMessage", **params)
        return MessageRef(room_id=room_id, id=str(sent["ts"]))

    async def edit(self, ref: MessageRef, content: Content) -> None:
        body = render.render(content, self.name)
        await self._call(
            "chat.update", channel=self.local(ref.room_id), ts=ref.id, text=body.text, blocks=body.blocks
        )

    async def delete(self, ref: MessageRef) -> None:
        try:
            await self._call("chat.delete", channel=self.local(ref.room_id), ts=ref.id)
        except TransportError as exc:
            if self._error(exc) != "message_not_found":  # already gone: what was wanted
                raise

    async def send_ephemeral(self, message: Message, content: Content) -> bool:
        body = render.render(content, self.name)
        interaction = self._interactions.get(message.event_id)
        if interaction is not None and interaction.response_url:
            response = await AsyncWebhookClient(interaction.response_url).send(
                text=body.text, blocks=body.blocks, response_type="ephemeral"
            )
            if response.status_code == 200:
                return True
            log.warning("response_url answered %s; answering with chat.postEphemeral", response.status_code)
        params: dict[str, Any] = {
            "channel": self.local(message.room.id),
            "user": self.local(message.sender.id),
            "text": body.text,
            "blocks": body.blocks,
        }
        if message.thread is not None:
            params["thread_ts"] = message.thread.id
        await self._call("chat.postEphemeral", **params)
        return True

    async def open_form(self, ctx: CommandContext, form: Form) -> bool:
        interaction = self._interactions.get(ctx.message.event_id)
        if interaction is None or not interaction.trigger_id:
            return False  # a typed message carries no trigger: the dispatcher answers with usage
        metadata = {
            "channel": interaction.channel,
            "text": ctx.message.text,
            "thread": ctx.message.thread.id if ctx.message.thread else None,
        }
        try:
            await self._call(
                "views.open", trigger_id=interaction.trigger_id, view=render.modal(form, metadata)
            )
        except TransportError as exc:
            log.warning("%s", exc)
            return False
        return True

    async def pin(self, ref: MessageRef) -> None:
        try:
            await self._call("pins.add", channel=self.local(ref.room_id), timestamp=ref.id)
        except TransportError as exc:
            if self._error(exc) != "already_pinned":
                raise

    async def set_topic(self, room_id: str, topic: str) -> None:
        await self._call("conversations.setTopic", channel=self.local(room_id), topic=topic[:250])

    async def invite(self, room_id: str, user: User) -> None:
        if user.transport == self.name:
            await self._invite(self.local(room_id), [self.local(user.id)])

    async def _invite(self, channel: str, users: list[str]) -> None:
        users = [u for u in dict.fromkeys(users) if u != self.bot_user_id]
        if not users:
            return
        try:
            await self._call("conversations.invite", channel=channel, users=",".join(users))
        except TransportError as exc:
            if self._error(exc) not in ("already_in_channel", "cant_invite_self"):
                raise

    async def create_room(
        self,
        name: str,
        topic: str,
        *,
        private: bool,
        invite: Sequence[User],
        display_name: str | None = None,
        origin_room_id: str | None = None,
    ) -> Room:
        base = channel_name(name)
        for attempt in range(1, 21):
            candidate = base if attempt == 1 else f"{base[: 80 - len(str(attempt)) - 1]}-{attempt}"
            try:
                created = await self._call("conversations.create", name=candidate, is_private=private)
                break
            except TransportError as exc:
                if self._error(exc) != "name_taken":
                    raise
        else:
            raise TransportError(f"Slack conversations.create: every name like #{base} is taken")
        channel = created["channel"]
        channel_id, final = str(channel["id"]), str(channel.get("name", candidate))
        await self._invite(
            channel_id,
            [self.local(u.id) for u in invite if u.transport == self.name] + self.settings.responders,
        )
        if topic:
            await self.set_topic(self.opaque(channel_id), topic)
        return Room(id=self.opaque(channel_id), name=final, private=private)

    async def direct_room(self, user: User) -> Room:
        target = self.local(user.id)
        channel = self._direct.get(target)
        if channel is None:
            opened = await self._call("conversations.open", users=target)
            channel = self._direct[target] = str(opened["channel"]["id"])
        return Room(id=self.opaque(channel), name=f"@{user.name}", direct=True)

    def resolve_mention(self, token: str) -> User | None:
        match = inbound.MENTION.match(token)
        if match:
            return self.user_of(match[1])  # the |label is typed text: never a source of names
        if token.startswith("@") and len(token) > 1:
            known = self.names.only(token[1:])
            if known is not None:
                return self.user_of(known)
        return None

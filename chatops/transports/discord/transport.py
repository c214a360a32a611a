"""The Discord transport: application commands, persistent buttons, modals, incident channels.

discord.py keeps the gateway (identify, heartbeats, resume, reconnect) and
the REST client (authentication, rate-limit buckets, 429 retries); chatops
calls the documented REST routes through it.  An interaction is answered
first — a modal when the command needs its form (Discord accepts one only as
the initial response), else a deferred ephemeral response — and handled
afterwards in its channel's order; a refusal replaces the deferred response,
anything else is said in the channel and the deferred response removed.
In a bridged channel every typed message is delivered (the core mirrors it),
and edits and deletions follow, read raw so that uncached messages count.
A button's ``custom_id`` is its stable action id, looked up in the core's
button registry, so a button pressed after a restart still works.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import discord
import discord.gateway
import discord.http
import yarl

from chatops.commands.compose import command_text
from chatops.commands.parser import ParseError, tokenize
from chatops.inbound import Job, RoomQueues
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
from chatops.transports.discord import commands, inbound, render
from chatops.transports.discord.config import DiscordConfig
from chatops.transports.discord.inbound import Incoming
from chatops.transports.names import NameBook

if TYPE_CHECKING:
    from aiohttp.web import RouteDef

    from chatops.app import App
    from chatops.context import CommandContext

log = logging.getLogger("chatops.discord")
Respond = Callable[[dict[str, Any]], Awaitable[None]]

VIEW_CHANNEL, SEND_MESSAGES, MANAGE_MESSAGES, READ_HISTORY = 1 << 10, 1 << 11, 1 << 13, 1 << 16
MEMBER = VIEW_CHANNEL | SEND_MESSAGES | READ_HISTORY
_CHANNEL_CHARS = re.compile(r"[^a-z0-9_\-]+")
_TOKEN_IN_PATH = re.compile(r"(/interactions/\d+|/webhooks/\d+)/[^/]+")
_FATAL = {
    4004: "the token is wrong (transports.discord.token)",
    4010: "invalid shard",
    4011: "sharding required",
    4012: "invalid API version",
    4013: "invalid intents",
    4014: "the Message Content intent is not enabled for the bot (Developer Portal → Bot), "
    "but text_commands is on",
}
EXPIRED = "That button or command is not known to chatops (any more). Type the command, or see /help."


def channel_name(name: str) -> str:
    """A Discord text-channel name: lowercase letters, digits, - and _, at most 100 characters."""
    return _CHANNEL_CHARS.sub("-", name.lower()).strip("-_")[:100].rstrip("-") or "incident"


def _explain(exc: BaseException) -> str:
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return _FATAL[4014]
    if isinstance(exc, discord.ConnectionClosed):
        return _FATAL.get(exc.code, f"close code {exc.code}")
    return str(exc)


class _Client(discord.Client):
    """discord.py's client, handing what arrives to the transport."""

    def __init__(self, transport: DiscordTransport, intents: discord.Intents) -> None:
        super().__init__(intents=intents, guild_ready_timeout=0.5)
        self.transport = transport
        self.ready = asyncio.Event()

    async def on_ready(self) -> None:
        self.ready.set()

    async def on_message(self, message: discord.Message) -> None:
        await self.transport.on_message(message)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        self.transport.on_edit(payload)  # raw: a message sent before a restart is not cached

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self.transport.on_delete(str(payload.channel_id), payload.guild_id, [payload.message_id])

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        self.transport.on_delete(str(payload.channel_id), payload.guild_id, sorted(payload.message_ids))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        user = interaction.user
        incoming = Incoming(
            id=str(interaction.id),
            token=interaction.token,
            type=interaction.type.value,
            data=dict(interaction.data or {}),
            channel_id=str(interaction.channel_id or ""),
            guild_id=str(interaction.guild_id) if interaction.guild_id else None,
            user_id=str(user.id),
            user_name=user.display_name,
            direct=interaction.guild_id is None,
        )

        async def respond(payload: dict[str, Any]) -> None:
            path = f"/interactions/{incoming.id}/{incoming.token}/callback"
            await self.transport.rest("POST", path, payload)

        self.transport.accept(incoming, respond)


class DiscordTransport(Transport):
    capabilities = Capabilities(
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
        self.settings = self.parse_settings(DiscordConfig)
        # Without the message content intent (text_commands) typed messages never arrive.
        self.capabilities = self.capabilities.model_copy(
            update={"reads_messages": self.settings.text_commands}
        )
        self.prefix = self.settings.command_prefix or app.config.core.command_prefix
        self.client: _Client | None = None
        self.bot_user_id = ""
        self.application_id = ""
        self.queues = RoomQueues(name)
        self._runner: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self.names = NameBook()
        self._direct: dict[str, str] = {}
        self._guild_of: dict[str, str] = {}
        self._forms: OrderedDict[str, str] = OrderedDict()  # modal nonce -> the command text it completes
        self._initial: dict[str, Respond] = {}  # interactions not yet answered
        self._deferred: dict[str, Incoming] = {}  # answered "thinking…", being handled
        self._answered: set[str] = set()
        self._topics: dict[str, str] = {}
        self._topic_tasks: dict[str, asyncio.Task[None]] = {}

    # --- ids ---

    def user_of(self, user_id: str) -> User:
        return User(id=self.opaque(user_id), name=self.names.name(user_id))

    def _room(self, channel: str, direct: bool) -> Room:
        return Room(id=self.opaque(channel), name=channel, direct=direct)

    # --- lifecycle ---

    async def start(self) -> None:
        settings = self.settings
        if settings.api_url:
            discord.http.Route.BASE = settings.api_url.rstrip("/")
        if settings.gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)
        intents = discord.Intents.none()
        intents.guilds = True
        if settings.text_commands:
            intents.guild_messages = intents.dm_messages = intents.message_content = True
        client = self.client = _Client(self, intents)
        try:
            await client.login(settings.token.get_secret_value())
        except discord.LoginFailure:
            await client.close()
            raise TransportError("Discord refused the bot token (transports.discord.token)") from None
        self._runner = asyncio.create_task(self._stay_connected(client), name=f"{self.name}-gateway")
        ready = asyncio.create_task(client.ready.wait())
        await asyncio.wait({ready, self._runner}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        if not client.ready.is_set():
            ready.cancel()
            await self.stop()
            cause = _explain(self._failure) if self._failure else "no READY within 60 s"
            raise TransportError(f"Discord gateway: {cause}")
        assert client.user is not None
        self.bot_user_id = str(client.user.id)
        self.application_id = str(client.application_id)
        await self.sync_commands()

    async def _stay_connected(self, client: _Client) -> None:
        """discord.py reconnects and resumes on its own; this restarts it if a payload it cannot parse
        ends its connection loop, so one odd event does not leave the bot deaf."""
        delay = 1.0
        while not client.is_closed():
            began = time.monotonic()
            try:
                await client.connect(reconnect=True)
            except asyncio.CancelledError:
                raise
            except (discord.PrivilegedIntentsRequired, discord.LoginFailure, discord.ConnectionClosed) as exc:
                # discord.py retries what can be retried itself; these need a person (token, intents)
                self._failure = exc
                log.error("the Discord gateway refused the bot (%s); it stays disconnected", _explain(exc))
                return
            except Exception:
                if client.is_closed():
                    return
                if time.monotonic() - began > 60:
                    delay = 1.0
                log.exception("the Discord gateway connection failed; reconnecting in %.0f s", delay)
                if client.ws is not None:
                    await client.ws.close(code=4000)
                await asyncio.sleep(delay)  # backoff before reconnecting, not synchronisation
                delay = min(delay * 2, 60.0)
            else:
                return

    async def stop(self) -> None:
        for task in self._topic_tasks.values():
            task.cancel()
        await asyncio.gather(*self._topic_tasks.values(), return_exceptions=True)
        await self.queues.stop()
        if self.client is not None:
            await self.client.close()
        if self._runner is not None:
            await asyncio.gather(self._runner, return_exceptions=True)

    async def idle(self) -> None:
        """Wait until every accepted interaction and queued message has been handled."""
        await self.queues.idle()

    def web_routes(self) -> list[RouteDef]:
        if self.settings.interactions != "http":
            return []
        from chatops.transports.discord.http import routes

        return routes(self)

    async def rest(self, method: str, path: str, payload: Any = None) -> Any:
        """One REST call through discord.py (auth, rate-limit buckets, 429 retries)."""
        assert self.client is not None, "the Discord transport is not started"
        route = discord.http.Route(method, path)
        try:
            if payload is None:
                return await self.client.http.request(route)
            return await self.client.http.request(route, json=payload)
        except discord.HTTPException as exc:
            where = _TOKEN_IN_PATH.sub(r"\1/<token>", path.split("?")[0])  # interaction tokens are secrets
            raise TransportError(f"Discord {method} {where}: {exc.status} {exc.text}") from None

    async def sync_commands(self) -> None:
        """Register the slash commands, only where what Discord has differs from the declarations."""
        wanted = commands.definitions(self.app.commands)
        base = f"/applications/{self.application_id}"
        paths = [f"{base}/guilds/{g}/commands" for g in self.settings.guild_ids] or [f"{base}/commands"]
        for path in paths:
            current = await self.rest("GET", path)
            if commands.comparable(current) != commands.comparable(wanted):
                await self.rest("PUT", path, wanted)
                log.info("slash commands updated at %s", path)

    # --- inbound ---

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or not message.content:
            return
        text = inbound.command_text(message.content, self.prefix, self.bot_user_id)
        channel = str(message.channel.id)
        room = self._room(channel, message.guild is None)
        if text is None and not self.app.bridges.bridged(room.id):
            return  # chatter, and no bridge to mirror it into
        said = self._said(message)
        if message.guild is not None:
            self._guild_of[channel] = str(message.guild.id)
        typed = Message(
            event_id=f"message/{message.id}",
            room=room,
            sender=self.user_of(str(message.author.id)),
            text=text or said,
            message_id=str(message.id),
            said=said,
        )
        self.queues.submit(room.id, lambda: self._handle(typed))

    def _said(self, message: discord.Message) -> str:
        """The message as people read it, learning the names of its author and those it mentions."""
        self.names.learn(str(message.author.id), message.author.display_name)
        for person in message.mentions:
            self.names.learn(str(person.id), person.display_name)
        return inbound.said_text(message.content, self.names.name)

    def on_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """A person edited a message in a bridged channel: its copies follow, in the channel's order."""
        message = payload.message
        room = self._room(str(payload.channel_id), payload.guild_id is None)
        if message.author.bot or not self.app.bridges.bridged(room.id):
            return
        before = payload.cached_message
        if message.edited_at is None or (before is not None and before.content == message.content):
            return  # an embed unfurled, a pin: the text is what it was
        said = self._said(message)  # learns the author's name first
        edit = MessageEdited(
            room=room, sender=self.user_of(str(message.author.id)), message_id=str(message.id), text=said
        )
        self.queues.submit(room.id, lambda: self.app.bridges.edited(edit))

    def on_delete(self, channel: str, guild_id: int | None, message_ids: Sequence[int]) -> None:
        """Messages taken back in a bridged channel: their copies go too, in the channel's order."""
        room = self._room(channel, guild_id is None)
        if not self.app.bridges.bridged(room.id):
            return
        for message_id in message_ids:
            gone = MessageDeleted(room=room, message_id=str(message_id))
            self.queues.submit(room.id, functools.partial(self.app.bridges.deleted, gone))

    def accept(self, incoming: Incoming, respond: Respond) -> None:
        """Handle an interaction on its own task (the HTTP endpoint awaits only its first answer)."""
        self.queues.accept(self.interact(incoming, respond), "interaction")

    async def interact(self, incoming: Incoming, respond: Respond) -> None:
        """Answer an interaction at once (a modal, or "thinking…"), then handle it in its channel's turn."""
        if incoming.type == inbound.PING:
            await respond({"type": 1})
            return
        room = self._room(incoming.channel_id, incoming.direct)
        place = self.queues.later(room.id)  # its turn is when it arrived, whatever is awaited below
        job = None
        try:
            job = await self._answer_first(incoming, room, respond)
        finally:
            place(job)

    async def _answer_first(self, incoming: Incoming, room: Room, respond: Respond) -> Job | None:
        self.names.learn(incoming.user_id, incoming.user_name)
        if incoming.guild_id:
            self._guild_of[incoming.channel_id] = incoming.guild_id
        try:
            text = await self._text_of(incoming)
        except Exception:
            log.exception("reading Discord interaction %s failed", incoming.id)
            text = None
        if text is None:
            await respond({"type": 4, "data": {**render.plain(EXPIRED), "flags": render.EPHEMERAL}})
            return None
        message = Message(
            event_id=f"interaction/{incoming.id}", room=room, sender=self.user_of(incoming.user_id), text=text
        )
        self._initial[message.event_id] = respond
        try:
            # A modal can only be the first answer, and never the answer to a modal.
            if incoming.type != inbound.MODAL_SUBMIT and await self.app.dispatcher.open_form_first(message):
                return None
            await respond({"type": 5, "data": {"flags": render.EPHEMERAL}})
            self._deferred[message.event_id] = incoming
        except TransportError as exc:
            # too late for a first answer (Discord shows "interaction failed"): still run the
            # command, whose answers go to the channel
            log.warning("%s", exc)
        finally:
            self._initial.pop(message.event_id, None)
        return lambda: self._handle(message)

    async def _text_of(self, incoming: Incoming) -> str | None:
        data = incoming.data
        if incoming.type == inbound.APPLICATION_COMMAND:
            return commands.invocation_text(data, self.app.commands, self.prefix)
        if incoming.type == inbound.MESSAGE_COMPONENT:
            return await self.app.buttons.command(str(data.get("custom_id", "")))
        if incoming.type == inbound.MODAL_SUBMIT:
            nonce = str(data.get("custom_id", "")).removeprefix(render.FORM_PREFIX)
            base = self._forms.pop(nonce, None)
            if base is None:
                return None
            try:
                found = self.app.commands.lookup(tokenize(base[len(self.prefix) :]), self.prefix)
            except ParseError:
                return None
            if found.command is None:
                return None
            return command_text(base, found.command, render.submitted_values(data))
        return None

    async def _learn_mentions(self, text: str) -> None:
        """Names of people mentioned as ``<@id>`` (a slash command's text carries no names)."""
        for user_id in inbound.MENTIONED.findall(text):
            if user_id in self.names:
                continue
            try:
                found = await self.rest("GET", f"/users/{user_id}")
                self.names.learn(user_id, found.get("global_name") or found.get("username"))
            except TransportError as exc:
                log.warning("%s", exc)

    async def _handle(self, message: Message) -> None:
        """In the channel's turn: learn the names of the people mentioned, run the command, tidy up."""
        try:
            await self._learn_mentions(message.text)
            await self.app.dispatcher.handle(message)
        finally:
            incoming = self._deferred.pop(message.event_id, None)
            if incoming is not None and message.event_id not in self._answered:
                # the answers were said in the channel: take the "thinking…" away
                await self._quietly(self.rest("DELETE", self._original(incoming)))
            self._answered.discard(message.event_id)

    def _original(self, incoming: Incoming) -> str:
        return f"/webhooks/{self.application_id}/{incoming.token}/messages/@original"

    @staticmethod
    async def _quietly(call: Awaitable[Any]) -> None:
        try:
            await call
        except TransportError as exc:
            log.warning("%s", exc)

    # --- outbound ---

    async def send(
        self, room_id: str, content: Content, thread: ThreadRef | None, idempotency_key: str | None = None
    ) -> MessageRef:
        await self.app.buttons.remember(content)
        channel = self.local(room_id)
        body = render.message(content, self.name)
        if idempotency_key:  # Discord returns the first message for a repeated nonce (minutes)
            body |= {"nonce": nonce(idempotency_key), "enforce_nonce": True}
        sent = await self.rest("POST", f"/channels/{channel}/messages", body)
        return MessageRef(room_id=room_id, id=str(sent["id"]))

    async def edit(self, ref: MessageRef, content: Content) -> None:
        await self.app.buttons.remember(content)
        channel = self.local(ref.room_id)
        await self.rest("PATCH", f"/channels/{channel}/messages/{ref.id}", render.message(content, self.name))

    async def delete(self, ref: MessageRef) -> None:
        channel = self.local(ref.room_id)
        try:
            await self.rest("DELETE", f"/channels/{channel}/messages/{ref.id}")
        except TransportError as exc:
            if " 404 " not in str(exc):  # Unknown Message: already gone, which was the point
                raise

    async def send_ephemeral(self, message: Message, content: Content) -> bool:
        incoming = self._deferred.get(message.event_id)
        if incoming is None:
            return False
        payload = render.message(content, self.name)
        if message.event_id in self._answered:
            path = f"/webhooks/{self.application_id}/{incoming.token}"
            await self.rest("POST", path, {**payload, "flags": render.EPHEMERAL})
        else:
            await self.rest("PATCH", self._original(incoming), payload)
            self._answered.add(message.event_id)
        return True

    async def open_form(self, ctx: CommandContext, form: Form) -> bool:
        respond = self._initial.pop(ctx.message.event_id, None)
        if respond is None:
            return False  # a typed message, or already answered: the dispatcher answers with usage
        nonce = uuid.uuid4().hex[:16]
        self._forms[nonce] = ctx.message.text
        while len(self._forms) > 1000:
            self._forms.popitem(last=False)
        await respond(render.modal(form, nonce))
        return True

    async def pin(self, ref: MessageRef) -> None:
        await self.rest("PUT", f"/channels/{self.local(ref.room_id)}/messages/pins/{ref.id}")

    async def set_topic(self, room_id: str, topic: str) -> None:
        """Discord allows two channel edits per ten minutes: the latest topic wins, off the caller's path."""
        channel = self.local(room_id)
        self._topics[channel] = topic[:1024]
        task = self._topic_tasks.get(channel)
        if task is None or task.done():
            self._topic_tasks[channel] = asyncio.create_task(self._apply_topics(channel))

    async def _apply_topics(self, channel: str) -> None:
        while channel in self._topics:
            topic = self._topics.pop(channel)
            await self._quietly(self.rest("PATCH", f"/channels/{channel}", {"topic": topic}))

    async def invite(self, room_id: str, user: User) -> None:
        if user.transport == self.name:
            await self._allow(self.local(room_id), self.local(user.id), MEMBER)

    async def set_moderator(self, room_id: str, user: User, moderator: bool) -> None:
        if user.transport == self.name:
            allowed = MEMBER | MANAGE_MESSAGES if moderator else MEMBER
            await self._allow(self.local(room_id), self.local(user.id), allowed)

    async def _allow(self, channel: str, member: str, allowed: int) -> None:
        await self.rest(
            "PUT",
            f"/channels/{channel}/permissions/{member}",
            {"type": 1, "allow": str(allowed), "deny": "0"},
        )

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
        origin = self.local(origin_room_id) if origin_room_id else ""
        guild = self._guild_of.get(origin) or (
            str(self.settings.guild_ids[0]) if self.settings.guild_ids else None
        )
        if guild is None:
            raise TransportError("Discord: no guild to create the incident channel in; set guild_ids")
        overwrites: list[dict[str, Any]] = [
            {"id": self.bot_user_id, "type": 1, "allow": str(MEMBER | MANAGE_MESSAGES), "deny": "0"}
        ]
        if private:
            overwrites.append({"id": guild, "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)})
        overwrites += [
            {"id": self.local(u.id), "type": 1, "allow": str(MEMBER), "deny": "0"}
            for u in invite
            if u.transport == self.name
        ]
        overwrites += [
            {"id": str(r), "type": 0, "allow": str(MEMBER), "deny": "0"} for r in self.settings.responders
        ]
        body: dict[str, Any] = {
            "name": channel_name(name),
            "type": 0,
            "topic": topic[:1024],
            "permission_overwrites": overwrites,
        }
        if self.settings.incident_category_id:
            body["parent_id"] = str(self.settings.incident_category_id)
        created = await self.rest("POST", f"/guilds/{guild}/channels", body)
        channel = str(created["id"])
        self._guild_of[channel] = guild
        return Room(id=self.opaque(channel), name=str(created.get("name", body["name"])), private=private)

    async def direct_room(self, user: User) -> Room:
        target = self.local(user.id)
        channel = self._direct.get(target)
        if channel is None:
            opened = await self.rest("POST", "/users/@me/channels", {"recipient_id": target})
            channel = self._direct[target] = str(opened["id"])
        return Room(id=self.opaque(channel), name=f"@{user.name}", direct=True)

    def resolve_mention(self, token: str) -> User | None:
        match = inbound.MENTION.match(token)
        if match:
            return self.user_of(match[1])
        if token.startswith("@") and len(token) > 1:
            known = self.names.only(token[1:])
            if known is not None:
                return self.user_of(known)
        return None


def nonce(key: str) -> str:
    """Discord nonces are at most 25 characters: a digest of a longer key."""
    return key if len(key) <= 25 else hashlib.sha256(key.encode()).hexdigest()[:25]

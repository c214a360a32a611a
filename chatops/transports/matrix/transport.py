"""The Matrix transport: login, the sync loop, sends, rooms and direct messages.

One long-poll sync loop feeds the dispatcher; the sync token is persisted
(``app.cursors``) after each batch is handled, so a restart neither replays
history nor misses what was said while the bot was down.  The very first
sync skips history.  Messages of one batch are handled in order per room,
rooms in parallel.  matrix-nio retries a request on connection errors (with
backoff) and on ``M_LIMIT_EXCEEDED`` (after its ``retry_after_ms``) with the
same transaction id, so a reply is neither lost nor doubled while the
homeserver is away or busy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nio import (
    AsyncClient,
    DirectRoomsResponse,
    ErrorResponse,
    InviteMemberEvent,
    LoginResponse,
    MegolmEvent,
    ReactionEvent,
    RoomCreateError,
    RoomGetStateEventResponse,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
    WhoamiResponse,
)
from pydantic import ValidationError

from chatops.config import ConfigError
from chatops.models.chat import Capabilities, Message, MessageRef, Room, ThreadRef, User
from chatops.models.content import Button, Content
from chatops.transports.base import Transport, TransportError
from chatops.transports.matrix import crypto, inbound, render
from chatops.transports.matrix.config import MatrixConfig

if TYPE_CHECKING:
    from chatops.app import App

log = logging.getLogger("chatops.matrix")
_LOCALPART = re.compile(r"^@?([a-z0-9._=\-/+]+)$")
_MXID = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:\d+)?$")


_ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


class MatrixError(TransportError):
    """The homeserver refused a request; the message names the call and the reason."""


def _check(response: Any, what: str) -> Any:
    if isinstance(response, ErrorResponse):
        raise MatrixError(f"{what}: {response.status_code or ''} {response.message}".strip())
    return response


class MatrixTransport(Transport):
    capabilities = Capabilities(
        threads=True,
        edits=True,
        reactions=True,
        create_rooms=True,
        pins=True,
        topics=True,
        direct_messages=True,
        markdown=True,
    )

    def __init__(self, app: App, name: str, config: dict[str, Any]) -> None:
        super().__init__(app, name, config)
        try:
            self.settings = MatrixConfig.model_validate(config)
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(p) for p in ("transports", name, *err["loc"]))
            raise ConfigError(app.config.source, key, str(err["msg"]).removeprefix("Value error, ")) from None
        self.bot_id = self.settings.user_id
        self.prefix = self.settings.command_prefix or app.config.core.command_prefix
        self.client: AsyncClient | None = None
        self.synced = asyncio.Event()  # set after each handled sync batch
        self._sync_task: asyncio.Task[None] | None = None
        self._direct: dict[str, list[str]] = {}
        self._direct_lock = asyncio.Lock()
        self._batch = asyncio.Lock()
        self._batches: asyncio.Queue[tuple[list[list[Message]], str]] = asyncio.Queue()
        self._consumer: asyncio.Task[None] | None = None
        self._rooms_changed = asyncio.Condition()
        self._undecryptable = crypto.Undecryptable()
        self._buttons: OrderedDict[str, dict[str, Button]] = OrderedDict()

    # --- ids ---

    def opaque(self, room_id: str) -> str:
        return f"{self.name}:{room_id}"

    @staticmethod
    def local(opaque_id: str) -> str:
        return opaque_id.split(":", 1)[1]

    def user_of(self, mxid: str) -> User:
        return User(id=f"{self.name}:{mxid}", name=mxid[1:].split(":", 1)[0])

    def room_of(self, room_id: str) -> Room:
        assert self.client is not None
        known = self.client.rooms.get(room_id)
        direct = any(room_id in rooms for rooms in self._direct.values())
        return Room(
            id=self.opaque(room_id),
            name=known.display_name if known is not None else room_id,
            direct=direct,
        )

    # --- lifecycle ---

    async def start(self) -> None:
        settings = self.settings
        await asyncio.to_thread(Path(settings.store_path).mkdir, parents=True, exist_ok=True)
        self.client = AsyncClient(
            settings.homeserver,
            settings.user_id,
            store_path=settings.store_path,
            config=crypto.client_config(settings),
        )
        await self._login(self.client)
        crypto.ensure_active(self.client, settings)
        if settings.encryption:
            await asyncio.to_thread(crypto.mark_store, settings, self.client.device_id)
            await crypto.housekeeping(self.client)
        direct = await self.client.list_direct_rooms()
        if isinstance(direct, DirectRoomsResponse):
            self._direct = {user: list(rooms) for user, rooms in direct.rooms.items()}
        since = await self.app.cursors.load(self.name)
        if since is None:  # first start ever: take the current position, skip history
            first = _check(await self.client.sync(timeout=0, full_state=True), "first sync")
            await self._accept_invites(first)
            await self.app.cursors.save(self.name, first.next_batch)
            since = first.next_batch
        self._consumer = asyncio.create_task(self._consume(), name=f"{self.name}-handle")
        self._sync_task = asyncio.create_task(self._sync_forever(since), name=f"{self.name}-sync")

    async def stop(self) -> None:
        if self._sync_task is not None:
            self._sync_task.cancel()
            await asyncio.gather(self._sync_task, return_exceptions=True)
            self._sync_task = None
        if self._consumer is not None:
            async with self._batch:  # let the batch in hand finish: its cursor must follow it
                self._consumer.cancel()
            await asyncio.gather(self._consumer, return_exceptions=True)
            self._consumer = None
        if self.client is not None:
            await self.client.close()

    async def _login(self, client: AsyncClient) -> None:
        settings = self.settings
        stored = await asyncio.to_thread(self._read_credentials)
        patient = client.config
        client.config = replace(patient, max_timeouts=3)  # fail fast if the homeserver is unreachable
        try:
            if settings.access_token is not None:
                token = settings.access_token.get_secret_value()
                device = settings.device_id or (stored or {}).get("device_id")
                if not device:
                    client.access_token = token
                    whoami = _check(await client.whoami(), "checking the access token")
                    device = whoami.device_id
                if not device:
                    raise MatrixError("the access token has no device: set transports.matrix.device_id")
                await self._restore(client, device, token)
                _check(await client.whoami(), "checking the access token")
                return
            if stored is not None:
                await self._restore(client, stored["device_id"], stored["access_token"])
                if isinstance(await client.whoami(), WhoamiResponse):
                    return
                log.warning("stored Matrix login expired; logging in again")
            assert settings.password is not None
            response = await client.login(
                settings.password.get_secret_value(), device_name=settings.device_name
            )
            if not isinstance(response, LoginResponse):
                raise MatrixError(f"logging in as {settings.user_id} failed: {response.message}")
            await asyncio.to_thread(self._write_credentials, response.device_id, response.access_token)
        except (OSError, TimeoutError) as exc:
            raise MatrixError(f"cannot reach the homeserver {settings.homeserver}: {exc}") from None
        finally:
            client.config = patient

    async def _restore(self, client: AsyncClient, device_id: str, token: str) -> None:
        """Resume a device (and, with encryption, its crypto store: never a new device per start)."""
        if self.settings.encryption:
            await asyncio.to_thread(crypto.check_store, self.settings, device_id)
        client.restore_login(self.settings.user_id, device_id, token)

    def _credentials_file(self) -> Path:
        return Path(self.settings.store_path) / "credentials.json"

    def _read_credentials(self) -> dict[str, str] | None:
        path = self._credentials_file()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("user_id") != self.settings.user_id or data.get("homeserver") != self.settings.homeserver:
            return None
        return data

    def _write_credentials(self, device_id: str, access_token: str) -> None:
        path = self._credentials_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "homeserver": self.settings.homeserver,
            "user_id": self.settings.user_id,
            "device_id": device_id,
            "access_token": access_token,
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)

    # --- inbound ---

    async def _sync_forever(self, since: str) -> None:
        """Long-poll the homeserver and queue each batch's commands for ``_consume``.

        Polling never waits for handling, so a command that needs a fresh sync
        (a room it just created must be known before sending into it) cannot
        stall the loop that brings that sync.
        """
        assert self.client is not None
        full_state = True  # nio keeps no room state across restarts: fetch it once
        delay = 1.0
        while True:
            try:
                response = await self.client.sync(timeout=30000, since=since, full_state=full_state)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Matrix sync failed; retrying in %.0f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.reconnect_max_wait_s)
                continue
            if not isinstance(response, SyncResponse):
                log.warning("Matrix sync refused (%s); retrying in %.0f s", response, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.reconnect_max_wait_s)
                continue
            delay, full_state = 1.0, False
            try:
                await crypto.housekeeping(self.client)
                await self._accept_invites(response)
                messages = await self._read(response)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading a Matrix sync batch failed; skipping it")
                messages = []
            async with self._rooms_changed:
                self._rooms_changed.notify_all()
            since = response.next_batch
            await self._batches.put((messages, since))

    async def _read(self, response: SyncResponse) -> list[list[Message]]:
        """The commands in a batch, per room in order (plus late decryptions of earlier ones)."""
        assert self.client is not None
        per_room: dict[str, list[Message]] = {}
        for room_id, event in self._undecryptable.retry(self.client):
            message = self._message(room_id, event)
            if message is not None:
                per_room.setdefault(room_id, []).append(message)
        for room_id, info in response.rooms.join.items():
            for event in info.timeline.events:
                if isinstance(event, MegolmEvent):
                    await self._cannot_read(room_id, event)
                    continue
                message = self._message(room_id, event)
                if message is not None:
                    per_room.setdefault(room_id, []).append(message)
        return list(per_room.values())

    async def _cannot_read(self, room_id: str, event: MegolmEvent) -> None:
        """Keep an undecryptable event for when its key arrives; say so once per session."""
        assert self.client is not None
        if event.sender == self.bot_id or not self._undecryptable.add(room_id, event):
            return
        try:
            await self.client.request_room_key(event)
        except Exception:  # already requested
            log.debug("room key request for %s not sent", event.session_id)
        await self.app.outbound.send(
            self.opaque(room_id),
            f"🔒 I can't decrypt a message from @{self.user_of(event.sender).name} yet: its key has not "
            "reached me. I will answer once it arrives; if I don't, make sure your client shares keys "
            "with unverified devices (or verify mine) and send it again.",
        )

    async def _consume(self) -> None:
        """Handle queued batches in order; save the cursor after each one that carried commands."""
        saved_at = time.monotonic()
        while True:
            messages, since = await self._batches.get()
            async with self._batch:
                await asyncio.gather(*(self._handle_room(room) for room in messages))
                # A batch with nothing for us (typically the echo of our own answer) needs no
                # write of its own: replaying it after a crash is harmless.  Save once a minute anyway.
                now = time.monotonic()
                if messages or now - saved_at > 60:
                    await self.app.cursors.save(self.name, since)
                    saved_at = now
            self.synced.set()

    async def _known(self, room_id: str) -> None:
        """Wait until a sync has brought a new room (nio sends only into rooms it has synced)."""
        assert self.client is not None
        client = self.client
        async with self._rooms_changed:
            await asyncio.wait_for(self._rooms_changed.wait_for(lambda: room_id in client.rooms), 60)

    async def _accept_invites(self, response: SyncResponse) -> None:
        assert self.client is not None
        for room_id, info in response.rooms.invite.items():
            inviter = next(
                (
                    e.sender
                    for e in info.invite_state
                    if isinstance(e, InviteMemberEvent)
                    and e.state_key == self.bot_id
                    and e.membership == "invite"
                ),
                None,
            )
            if inviter is not None and self._may_invite(inviter):
                joined = await self.client.join(room_id)
                if isinstance(joined, ErrorResponse):
                    log.warning("could not join %s: %s", room_id, joined.message)
            else:
                log.info("ignoring invite to %s from %s (not in auto_join_users/servers)", room_id, inviter)

    def _may_invite(self, inviter: str) -> bool:
        settings = self.settings
        return inviter in settings.auto_join_users or inviter.split(":", 1)[-1] in settings.auto_join_servers

    async def _handle_room(self, messages: list[Message]) -> None:
        for message in messages:
            await self.app.dispatcher.handle(message)  # never raises: answers and logs instead

    def _message(self, room_id: str, event: Any) -> Message | None:
        if getattr(event, "sender", None) == self.bot_id:
            return None
        if isinstance(event, ReactionEvent):
            button = self._buttons.get(event.reacts_to, {}).get(event.key)
            if button is None:
                return None
            return Message(
                event_id=event.event_id,
                room=self.room_of(room_id),
                sender=self.user_of(event.sender),
                text=button.command,
            )
        if not isinstance(event, RoomMessageText):
            return None
        content = event.source.get("content", {})
        if inbound.is_edit(content):
            return None  # an edited command is not run again
        text = inbound.command_text(
            inbound.plain_text(content), self.prefix, self.bot_id, (self.bot_id[1:].split(":", 1)[0],)
        )
        if text is None:
            return None
        root = inbound.thread_root(content)
        return Message(
            event_id=event.event_id,
            room=self.room_of(room_id),
            sender=self.user_of(event.sender),
            text=text,
            thread=ThreadRef(room_id=self.opaque(room_id), id=root) if root else None,
        )

    # --- outbound ---

    async def _send_event(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        """The one place events leave: encrypted in encrypted rooms, keys shared by the trust policy."""
        assert self.client is not None
        if self._encrypted(room_id):
            await crypto.housekeeping(self.client)  # know every member's devices before sharing the key
        unverified = crypto.share_keys_unverified(self.client, room_id, self.settings)
        response = _check(
            await self.client.room_send(room_id, event_type, content, ignore_unverified_devices=unverified),
            f"sending to {room_id}",
        )
        assert isinstance(response, RoomSendResponse)
        return str(response.event_id)

    async def send(self, room_id: str, content: Content, thread: ThreadRef | None) -> MessageRef:
        target = self.local(room_id)
        rendered = render.render(content)
        body = render.in_thread(rendered.content, thread.id) if thread else rendered.content
        event_id = await self._send_event(target, "m.room.message", body)
        if rendered.reactions:
            self._buttons[event_id] = rendered.reactions
            while len(self._buttons) > 10_000:
                self._buttons.popitem(last=False)
            for key in rendered.reactions:
                await self._send_event(
                    target,
                    "m.reaction",
                    {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}},
                )
        return MessageRef(room_id=room_id, id=event_id)

    async def edit(self, ref: MessageRef, content: Content) -> None:
        await self._send_event(
            self.local(ref.room_id), "m.room.message", render.edit(ref.id, render.render(content))
        )

    async def pin(self, ref: MessageRef) -> None:
        room_id = self.local(ref.room_id)
        pinned = await self._state(room_id, "m.room.pinned_events")
        events = [e for e in pinned.get("pinned", []) if e != ref.id]
        await self._put_state(room_id, "m.room.pinned_events", {"pinned": [ref.id, *events]})

    async def set_topic(self, room_id: str, topic: str) -> None:
        target = self.local(room_id)
        await self._put_state(target, "m.room.topic", {"topic": self._public(topic, target)})

    async def invite(self, room_id: str, user: User) -> None:
        assert self.client is not None
        if user.transport != self.name:
            return
        response = await self.client.room_invite(self.local(room_id), render.mxid(user.id))
        if isinstance(response, ErrorResponse) and "already in the room" not in (response.message or ""):
            log.warning("inviting %s to %s: %s", user.id, room_id, response.message)

    async def set_moderator(self, room_id: str, user: User, moderator: bool) -> None:
        if user.transport != self.name:
            return
        target = self.local(room_id)
        levels = await self._state(target, "m.room.power_levels")
        users = dict(levels.get("users", {}))
        mx = render.mxid(user.id)
        if moderator:
            users[mx] = max(users.get(mx, 0), self.settings.moderator_level)
        elif users.get(mx, 0) == self.settings.moderator_level:
            users.pop(mx)
        await self._put_state(target, "m.room.power_levels", {**levels, "users": users})

    async def _state(self, room_id: str, event_type: str) -> dict[str, Any]:
        assert self.client is not None
        response = await self.client.room_get_state_event(room_id, event_type)
        return dict(response.content) if isinstance(response, RoomGetStateEventResponse) else {}

    async def _put_state(self, room_id: str, event_type: str, content: dict[str, Any]) -> None:
        assert self.client is not None
        _check(await self.client.room_put_state(room_id, event_type, content), f"setting {event_type}")

    def _encrypted(self, room_id: str) -> bool:
        assert self.client is not None
        room = self.client.rooms.get(room_id)
        return room is not None and room.encrypted

    def _public(self, text: str, room_id: str) -> str:
        """Room state is never encrypted: in an encrypted room keep it to the handle before " · "."""
        if self.settings.state_details_in_encrypted_rooms or not self._encrypted(room_id):
            return text
        return text.split(" · ", 1)[0]

    def _encrypt_new_room(self, origin_room_id: str | None) -> bool:
        if not self.settings.encryption:
            return False
        rule = self.settings.encrypt_incident_rooms
        if rule == "auto":
            return origin_room_id is not None and self._encrypted(self.local(origin_room_id))
        return rule == "always"

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
        assert self.client is not None
        invitees = list(
            dict.fromkeys(
                [render.mxid(u.id) for u in invite if u.transport == self.name] + self.settings.responders
            )
        )
        invitees = [u for u in invitees if u != self.bot_id]
        encrypted = self._encrypt_new_room(origin_room_id)
        title = display_name or name
        if encrypted and not self.settings.state_details_in_encrypted_rooms:
            title, topic = title.split(" · ", 1)[0], topic.split(" · ", 1)[0]
        client = self.client

        async def create(alias: str | None) -> Any:
            return await client.room_create(
                name=title,
                topic=topic,
                alias=alias,
                invite=invitees,
                preset=RoomPreset.private_chat if private else RoomPreset.public_chat,
                initial_state=[_ENCRYPTION] if encrypted else [],
            )

        # an alias names the room in plaintext too: only where the details may show
        alias = (
            name
            if self.settings.room_aliases
            and (not encrypted or self.settings.state_details_in_encrypted_rooms)
            else None
        )
        response = await create(alias)
        if isinstance(response, RoomCreateError) and alias is not None:
            log.warning("alias #%s unavailable (%s); creating the room without it", alias, response.message)
            response = await create(None)
        _check(response, f"creating room {name}")
        room_id = response.room_id
        if client.olm is not None:
            await self._known(room_id)
        return Room(id=self.opaque(room_id), name=display_name or name, private=private)

    async def direct_room(self, user: User) -> Room:
        assert self.client is not None
        mx = render.mxid(user.id)
        async with self._direct_lock:
            rooms = self._direct.get(mx)
            if not rooms:
                response = _check(
                    await self.client.room_create(
                        is_direct=True,
                        invite=[mx],
                        preset=RoomPreset.trusted_private_chat,
                        initial_state=[_ENCRYPTION] if self.settings.encryption else [],
                    ),
                    f"creating a direct room with {mx}",
                )
                self._direct[mx] = [response.room_id]
                await self._save_direct()
                rooms = self._direct[mx]
                if self.client.olm is not None:
                    await self._known(response.room_id)
        return Room(id=self.opaque(rooms[0]), name=f"@{user.name}", direct=True)

    async def _save_direct(self) -> None:
        assert self.client is not None
        path = f"/_matrix/client/v3/user/{quote(self.bot_id)}/account_data/m.direct"
        response = await self.client.send(
            "PUT",
            path,
            json.dumps(self._direct),
            headers={
                "Authorization": f"Bearer {self.client.access_token}",
                "Content-Type": "application/json",
            },
        )
        if response.status != 200:
            log.warning("could not store m.direct: HTTP %s", response.status)

    def resolve_mention(self, token: str) -> User | None:
        if not token.startswith("@"):
            return None
        if ":" in token:
            return self.user_of(token) if _MXID.match(token) else None
        match = _LOCALPART.match(token.lower())
        return self.user_of(f"@{match[1]}:{self.settings.server_name}") if match else None

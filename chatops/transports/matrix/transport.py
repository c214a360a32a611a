"""The Matrix transport: rooms, sends and direct messages over matrix-nio.

Login lives in ``session``, the sync loop in ``receiver``, encryption policy
in ``crypto``; this class is what the app sees.  matrix-nio retries a request
on connection errors (with backoff) and on ``M_LIMIT_EXCEEDED`` (after its
``retry_after_ms``) with the same transaction id, so a reply is neither lost
nor doubled while the homeserver is away or busy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nio import (
    AsyncClient,
    DirectRoomsResponse,
    ErrorResponse,
    RoomCreateError,
    RoomGetStateEventResponse,
    RoomPreset,
    RoomSendResponse,
)

from chatops.models.chat import Capabilities, MessageRef, Room, ThreadRef, User
from chatops.models.content import Button, Content
from chatops.transports.base import Transport
from chatops.transports.matrix import crypto, render, session
from chatops.transports.matrix.config import MatrixConfig
from chatops.transports.matrix.receiver import Receiver
from chatops.transports.matrix.session import check

if TYPE_CHECKING:
    from chatops.app import App

log = logging.getLogger("chatops.matrix")
_LOCALPART = re.compile(r"^@?([a-z0-9._=\-/+]+)$")
_MXID = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:\d+)?$")


_ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


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
        deletes=True,
    )
    replays_after_takeover = True  # the sync resumes from the last cursor saved after a whole batch

    def __init__(self, app: App, name: str, config: dict[str, Any]) -> None:
        super().__init__(app, name, config)
        self.settings = self.parse_settings(MatrixConfig)
        # A bridge copies an encrypted room's messages only where this side encrypts them too.
        self.capabilities = self.capabilities.model_copy(
            update={"end_to_end_encrypted": self.settings.encryption}
        )
        self.bot_id = self.settings.user_id
        self.prefix = self.settings.command_prefix or app.config.core.command_prefix
        self.client: AsyncClient | None = None
        self.receiver: Receiver | None = None
        self.buttons: OrderedDict[str, dict[str, Button]] = OrderedDict()  # message -> reaction -> button
        self._direct: dict[str, list[str]] = {}
        self._direct_lock = asyncio.Lock()

    # --- ids ---

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
        client = self.client = AsyncClient(
            settings.homeserver,
            settings.user_id,
            store_path=settings.store_path,
            config=crypto.client_config(settings),
        )
        await session.login(client, settings)
        crypto.ensure_active(client, settings)
        if settings.encryption:
            await asyncio.to_thread(crypto.mark_store, settings, client.device_id)
            await crypto.housekeeping(client)
        direct = await client.list_direct_rooms()
        if isinstance(direct, DirectRoomsResponse):
            self._direct = {user: list(rooms) for user, rooms in direct.rooms.items()}
        self.receiver = Receiver(self, client)
        since = await self.app.cursors.load(self.name)
        if since is None:  # first start ever: take the current position, skip history
            first = check(await client.sync(timeout=0, full_state=True), "first sync")
            await self.receiver.accept_invites(first)
            await self.app.cursors.save(self.name, first.next_batch)
            since = first.next_batch
        self.receiver.start(since)
        # nio keeps no room state across restarts and (with encryption) sends only into rooms it
        # has synced: let the first full-state sync land before anything is sent (queued messages).
        try:
            await asyncio.wait_for(self.receiver.caught_up.wait(), 60)
        except TimeoutError:
            log.warning("the first Matrix sync is slow; sending may fail until it arrives")

    async def stop(self) -> None:
        if self.receiver is not None:
            await self.receiver.stop()
        if self.client is not None:
            await self.client.close()

    # --- outbound ---

    async def _send_event(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str | None = None
    ) -> str:
        """The one place events leave: encrypted in encrypted rooms, keys shared by the trust policy."""
        assert self.client is not None
        if self._encrypted(room_id):
            await crypto.housekeeping(self.client)  # know every member's devices before sharing the key
        unverified = crypto.share_keys_unverified(self.client, room_id, self.settings)
        response = check(
            await self.client.room_send(
                room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=unverified
            ),
            f"sending to {room_id}",
        )
        assert isinstance(response, RoomSendResponse)
        return str(response.event_id)

    async def send(
        self, room_id: str, content: Content, thread: ThreadRef | None, idempotency_key: str | None = None
    ) -> MessageRef:
        target = self.local(room_id)
        rendered = render.render(content)
        body = render.in_thread(rendered.content, thread.id) if thread else rendered.content
        # A repeated transaction id gets the first event back from the homeserver, not a second one.
        event_id = await self._send_event(target, "m.room.message", body, idempotency_key)
        if rendered.reactions:
            self.buttons[event_id] = rendered.reactions
            while len(self.buttons) > 10_000:
                self.buttons.popitem(last=False)
            for n, key in enumerate(rendered.reactions):
                await self._send_event(
                    target,
                    "m.reaction",
                    {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}},
                    f"{idempotency_key}.{n}" if idempotency_key else None,
                )
        return MessageRef(room_id=room_id, id=event_id)

    async def edit(self, ref: MessageRef, content: Content) -> None:
        await self._send_event(
            self.local(ref.room_id), "m.room.message", render.edit(ref.id, render.render(content))
        )

    async def delete(self, ref: MessageRef) -> None:
        assert self.client is not None
        check(await self.client.room_redact(self.local(ref.room_id), ref.id), f"redacting {ref.id}")

    async def encrypted(self, room_id: str) -> bool:
        """Whether the room is encrypted; a room not synced yet counts as encrypted where the bot can
        hold encrypted rooms (bridging fails closed: never a plain copy of what may be private)."""
        assert self.client is not None
        room = self.client.rooms.get(self.local(room_id))
        return room.encrypted if room is not None else self.capabilities.end_to_end_encrypted

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
        check(await self.client.room_put_state(room_id, event_type, content), f"setting {event_type}")

    async def _known_room(self, room_id: str) -> None:
        assert self.receiver is not None
        await self.receiver.known(room_id)

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
        check(response, f"creating room {name}")
        room_id = response.room_id
        if client.olm is not None:
            await self._known_room(room_id)
        return Room(id=self.opaque(room_id), name=display_name or name, private=private)

    async def direct_room(self, user: User) -> Room:
        assert self.client is not None
        mx = render.mxid(user.id)
        async with self._direct_lock:
            rooms = self._direct.get(mx)
            if not rooms:
                response = check(
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
                    await self._known_room(response.room_id)
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

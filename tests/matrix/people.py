"""People in the Matrix tests: plain matrix-nio clients, as a human's Element would be.

Each keeps a sync loop and a log of what it saw; tests wait on a condition
over that log (never a sleep).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    LoginResponse,
    RoomMessageNotice,
    RoomSendResponse,
    SyncResponse,
)
from nio.store import SqliteStore

from chatops.transports.matrix.crypto import housekeeping

PASSWORD = "correct horse battery staple"


@dataclass
class Seen:
    room_id: str
    event: Any

    @property
    def content(self) -> dict[str, Any]:
        return dict(self.event.source.get("content", {}))

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))


class Person:
    """A person's client; with ``store`` it does end-to-end encryption as Element would."""

    def __init__(self, homeserver: str, user_id: str, store: Path | None = None) -> None:
        self.user_id = user_id
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)
            config = AsyncClientConfig(store=SqliteStore, encryption_enabled=True, pickle_key="person")
            self.client = AsyncClient(homeserver, user_id, store_path=str(store), config=config)
        else:
            self.client = AsyncClient(homeserver, user_id)
        self.seen: list[Seen] = []
        self.invites: dict[str, str] = {}  # room id -> room name ("" for a direct chat)
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    @property
    def localpart(self) -> str:
        return self.user_id[1:].split(":", 1)[0]

    async def start(self) -> None:
        login = await self.client.login(PASSWORD, device_name=self.localpart)
        assert isinstance(login, LoginResponse), login
        await housekeeping(self.client)
        await self.client.sync(timeout=0, full_state=True)
        self._task = asyncio.create_task(self._sync_forever())

    async def _sync_forever(self) -> None:
        while True:
            response = await self.client.sync(timeout=30000)
            if not isinstance(response, SyncResponse):
                continue
            await housekeeping(self.client)
            async with self._changed:
                for room_id, info in response.rooms.join.items():
                    self.seen.extend(Seen(room_id, e) for e in info.timeline.events)
                for room_id, info in response.rooms.invite.items():
                    names = [
                        e.name for e in info.invite_state if hasattr(e, "name") and isinstance(e.name, str)
                    ]
                    self.invites[room_id] = names[-1] if names else ""
                self._changed.notify_all()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.client.close()

    async def wait_for(self, predicate: Callable[[], Any], seconds: float = 60) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked after every sync); return its value."""
        async with self._changed:
            found = await asyncio.wait_for(self._changed.wait_for(predicate), seconds)
        return found

    async def say(self, room_id: str, text: str, **extra: Any) -> str:
        content = {"msgtype": "m.text", "body": text, **extra}
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    def notices(self, room_id: str, sender: str) -> list[Seen]:
        return [
            s
            for s in self.seen
            if s.room_id == room_id
            and isinstance(s.event, RoomMessageNotice)
            and s.event.sender == sender
            and s.content.get("m.relates_to", {}).get("rel_type") != "m.replace"
        ]

    async def reply_to(self, room_id: str, text: str, bot: str, seconds: float = 60) -> str:
        """Say ``text`` and return the bot's next notice in that room."""
        before = len(self.notices(room_id, bot))
        await self.say(room_id, text)
        await self.wait_for(lambda: len(self.notices(room_id, bot)) > before, seconds)
        return self.notices(room_id, bot)[before].body

    async def press(self, room_id: str, message_id: str, key: str) -> None:
        """Press a button of the bot's message: react with its key, once the bot offers that reaction."""
        await self.wait_for(  # the bot reacts first, so the button is one click away
            lambda: any(
                s.content.get("m.relates_to", {}).get("event_id") == message_id
                and s.content["m.relates_to"].get("key") == key
                for s in self.seen
                if s.event.source.get("type") == "m.reaction"
            )
        )
        relation = {"rel_type": "m.annotation", "event_id": message_id, "key": key}
        response = await self.client.room_send(room_id, "m.reaction", {"m.relates_to": relation})
        assert isinstance(response, RoomSendResponse), response

    async def join_invited(self, name: str = "") -> str:
        """Wait for an invite to a room called ``name`` ("" for a direct chat), join it, return its id."""
        room_id = await self.wait_for(lambda: next((r for r, n in self.invites.items() if n == name), None))
        del self.invites[room_id]
        joined = await self.client.join(room_id)
        assert isinstance(joined, JoinResponse), joined
        return str(room_id)

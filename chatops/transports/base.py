"""The transport API every adapter implements.

A transport turns platform payloads into ``Message`` objects and hands them
to ``app.dispatcher.handle``; it renders ``Content`` back in the platform's
own format, degrading what it cannot show.  It owns platform deadlines
(acknowledging before plugin code runs) and declares its ``Capabilities``.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from chatops.config import ConfigError
from chatops.models.chat import Capabilities, Message, MessageRef, Room, ThreadRef, User
from chatops.models.content import Content, Form

if TYPE_CHECKING:
    from aiohttp.web import RouteDef

    from chatops.app import App
    from chatops.context import CommandContext

TransportFactory = Callable[["App", str, dict[str, Any]], "Transport"]
SettingsT = TypeVar("SettingsT", bound=BaseModel)


class TransportError(Exception):
    """The platform refused or could not be reached; the message names the call and the reason."""


def slugify(text: str, limit: int = 40) -> str:
    """``Checkout API errors!`` -> ``checkout-api-errors`` (room-name safe)."""
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-_")
    return slug[:limit].rstrip("-") or "incident"


class Transport(ABC):
    """Base of every transport.  ``name`` prefixes every id it makes."""

    capabilities = Capabilities()
    # True where a replica taking over receives again what the old one was handling (a sync
    # resumed from a stored cursor): with replicas, its commands are claimed in the database.
    replays_after_takeover = False

    def __init__(self, app: App, name: str, config: dict[str, Any]) -> None:
        self.app = app
        self.name = name
        self.config = config

    def parse_settings(self, model: type[SettingsT]) -> SettingsT:
        """This transport's config validated by ``model``; a mistake names its key and the fix."""
        try:
            return model.model_validate(self.config)
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(p) for p in ("transports", self.name, *err["loc"]))
            message = str(err["msg"]).removeprefix("Value error, ")
            raise ConfigError(self.app.config.source, key, message) from None

    def opaque(self, local_id: str) -> str:
        """A platform's own id as chatops stores it (``slack:C123``)."""
        return f"{self.name}:{local_id}"

    @staticmethod
    def local(opaque_id: str) -> str:
        """The platform's own id back from an opaque one (``slack:C123`` -> ``C123``)."""
        return opaque_id.split(":", 1)[1]

    def user(self, local_id: str, display: str | None = None) -> User:
        return User(id=f"{self.name}:{local_id}", name=display or local_id)

    async def start(self) -> None:
        """Connect and begin delivering inbound messages to ``app.dispatcher``."""

    async def stop(self) -> None:
        """Disconnect; no inbound message is delivered afterwards."""

    @abstractmethod
    async def send(
        self, room_id: str, content: Content, thread: ThreadRef | None, idempotency_key: str | None = None
    ) -> MessageRef:
        """Post ``content`` in a room (or thread); return a reference to it.

        ``idempotency_key`` (set for outbox rows) is stable across retries and
        restarts: a platform that can deduplicate by it (Matrix transaction ids,
        Discord nonces) must pass it on, so a message sent just before a crash and
        sent again after is posted once.
        """

    @abstractmethod
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
        """Create a room (an incident room) and invite people into it.

        ``name`` is a slug (``inc-42-checkout-api-errors``) usable as an alias
        or channel name; ``display_name`` (``INC-42 · Checkout API errors``) is
        shown where the platform has room titles.  Titles and topics start with
        a short public handle before `` · ``: a platform that cannot keep room
        state private (encrypted Matrix rooms) may show only that handle.
        ``origin_room_id`` is where the room was asked for (an encrypted origin
        makes an encrypted room, where the platform can).
        """

    async def set_topic(self, room_id: str, topic: str) -> None:
        """Set a room's topic, where the platform has topics (capability ``topics``)."""

    async def edit(self, ref: MessageRef, content: Content) -> None:
        """Replace a message's content in place (capability ``edits``)."""
        raise NotImplementedError

    async def delete(self, ref: MessageRef) -> None:
        """Take one of the bot's messages back (capability ``deletes``): a mirror whose original went."""
        raise NotImplementedError

    async def encrypted(self, room_id: str) -> bool:
        """Whether the room is end-to-end encrypted (only where capability ``end_to_end_encrypted``)."""
        return False

    @property
    def label(self) -> str:
        """The platform's name as people read it (``Slack``), e.g. beside a mirrored author."""
        return self.name[:1].upper() + self.name[1:]

    async def pin(self, ref: MessageRef) -> None:
        """Pin a message in its room (capability ``pins``)."""

    async def invite(self, room_id: str, user: User) -> None:
        """Bring someone into a room (e.g. a new role holder into the incident room)."""

    async def set_moderator(self, room_id: str, user: User, moderator: bool) -> None:
        """Give or take moderator rights in a room (e.g. to the Incident Commander)."""

    @abstractmethod
    async def direct_room(self, user: User) -> Room:
        """The direct-message room between the bot and ``user``."""

    @abstractmethod
    def resolve_mention(self, token: str) -> User | None:
        """A person from how they are mentioned in text (``@alice``), or None."""

    async def open_form(self, ctx: CommandContext, form: Form) -> bool:
        """Open ``form`` as the command's first response (capability ``modals``).

        False when this message cannot carry a form (a typed message has no
        interaction to open a modal from): the dispatcher then answers with usage.
        """
        return False

    async def send_ephemeral(self, message: Message, content: Content) -> bool:
        """Answer only the sender of ``message`` (capability ``ephemeral``); False if not possible.

        Refusals of a command (bad input, a missing permission) go this way where the
        platform can, so that a mistyped slash command does not clutter the channel.
        """
        return False

    def web_routes(self) -> list[RouteDef]:
        """HTTP endpoints the platform calls (webhooks), served by the app's web server."""
        return []

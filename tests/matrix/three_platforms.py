"""One chatops app on Matrix, Slack and Discord at once, restartable on one database.

The Matrix side is the session's real Synapse (so this lives in
``tests/matrix``: a second homeserver would cost CI a minute), the Slack side
the local Slack driven through slack-sdk in Socket Mode, the Discord side the
local Discord driven through discord.py's gateway and REST.  The fakes and
Synapse outlive ``restart()``: only the app goes down and comes back, as a
deploy in the middle of an incident would.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# The fakes live beside the Slack and Discord tests, which are not on sys.path when only
# tests/matrix runs.  Appended, not prepended: tests/matrix's own modules (conftest, people)
# must keep winning; the fakes' module names (fake_slack, fake_discord) clash with nothing here.
_TESTS = Path(__file__).resolve().parents[1]
for _folder in (_TESTS / "slack", _TESTS / "discord"):
    if str(_folder) not in sys.path:
        sys.path.append(str(_folder))

from fake_discord import ALICE as DISCORD_ALICE  # noqa: E402
from fake_discord import BOB as DISCORD_BOB  # noqa: E402
from fake_discord import BOT_ID as DISCORD_BOT  # noqa: E402
from fake_discord import GUILD_ID, OPS_ID, FakeDiscord  # noqa: E402
from fake_discord import TOKEN as DISCORD_TOKEN  # noqa: E402
from fake_discord import Posted as DiscordPosted  # noqa: E402
from fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack  # noqa: E402
from fake_slack import BOT_USER as SLACK_BOT  # noqa: E402
from fake_slack import Posted as SlackPosted  # noqa: E402
from people import PASSWORD, Person  # noqa: E402
from synapse_server import Synapse  # noqa: E402

from chatops.app import App  # noqa: E402
from chatops.config import load_config  # noqa: E402
from chatops.transports.discord.transport import DiscordTransport  # noqa: E402
from chatops.transports.slack.transport import SlackTransport  # noqa: E402

SLACK_ALICE, SLACK_BOB = "UALICE001", "UBOB00001"  # the ids the Slack tests use
SLACK_GENERAL = "C0GENERAL"
DISCORD_OPS = OPS_ID

__all__ = [
    "DISCORD_ALICE",
    "DISCORD_BOB",
    "DISCORD_BOT",
    "DISCORD_OPS",
    "SLACK_ALICE",
    "SLACK_BOB",
    "SLACK_BOT",
    "SLACK_GENERAL",
    "DiscordPosted",
    "SlackPosted",
    "ThreePlatforms",
    "fakes",
]


async def fakes() -> tuple[FakeSlack, FakeDiscord]:
    """The local Slack and Discord with alice and bob in their default channels."""
    slack = await FakeSlack().start()
    slack.add_user(SLACK_ALICE, "alice")
    slack.add_user(SLACK_BOB, "bob")
    slack.channels[SLACK_GENERAL].members += [SLACK_ALICE, SLACK_BOB]
    try:
        discord = await FakeDiscord(heartbeat_interval_ms=1000).start()
    except BaseException:
        await slack.stop()
        raise
    discord.add_user(DISCORD_ALICE, "alice")
    discord.add_user(DISCORD_BOB, "bob")
    return slack, discord


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``, mappings merged key by key (so a test can tweak one transport setting)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


class ThreePlatforms:
    """chatops with the Matrix, Slack and Discord transports on one SQLite file, restartable.

    People post and read through the platforms themselves: Matrix people are
    matrix-nio clients (``matrix_person``, then ``Person.say`` / ``reply_to`` /
    ``wait_for``); on Slack and Discord the fakes carry what people type
    (``slack_say``, ``discord_say``) and keep what the bot posted
    (``slack.channels``, ``discord.channels``, each fake's ``wait_for``).
    """

    def __init__(
        self,
        synapse: Synapse,
        people: Any,  # conftest.People (not imported: conftest imports this module)
        slack: FakeSlack,
        discord: FakeDiscord,
        tmp: Path,
        config: dict[str, Any] | None = None,
        plugins: list[tuple[str, object]] | None = None,
    ) -> None:
        self.synapse = synapse
        self.people = people
        self.slack = slack
        self.discord = discord
        self.plugins = plugins or []
        self.matrix_bot = people.mxid("chatops")
        base: dict[str, Any] = {
            "web": {"enabled": False},
            "admins": [f"matrix:{people.mxid('root')}"],
            "transports": {
                "matrix": {
                    "homeserver": synapse.url,
                    "user_id": self.matrix_bot,
                    "password": PASSWORD,
                    "store_path": str(tmp / "matrix-store"),
                    "auto_join_users": [people.mxid(n) for n in ("alice", "bob", "root")],
                    "reconnect_max_wait_s": 1,
                    "encryption": False,  # plain rooms: Slack and Discord have no end-to-end encryption
                },
                "slack": {
                    "bot_token": BOT_TOKEN,
                    "app_token": APP_TOKEN,
                    "api_url": slack.api_url,
                    "mode": "socket",
                },
                "discord": {
                    "token": DISCORD_TOKEN,
                    "guild_ids": [int(GUILD_ID)],
                    "api_url": discord.api_url,
                    "gateway_url": discord.gateway_url,
                    "text_commands": True,  # typed "!commands": the message content intent
                },
            },
        }
        self.config = load_config(
            None,
            db_url=f"sqlite:///{tmp / 'three.db'}",  # not the harness's file: one serving process per SQLite file
            environ={},
            overrides=merged(base, config or {}),
        )
        self.app: App | None = None

    # --- lifecycle ---

    async def start(self) -> App:
        """Start the app and return once Slack's socket and Discord's gateway are (re)connected.

        A new connection, not any: after a restart the old socket may still be
        on its way out, and a push into it would be lost.
        """
        old_sockets = list(self.slack._sockets)
        gateways = self.discord.connections
        app = self.app = App(self.config, extra_plugins=self.plugins)
        await app.start()
        await self.slack.wait_for(lambda: any(ws not in old_sockets for ws in self.slack._sockets))
        await self.discord.wait_for(lambda: self.discord.connections > gateways)
        await self.discord.ready()
        return app

    async def stop(self) -> None:
        if self.app is not None and self.app.started:
            await self.app.stop()

    async def restart(self) -> App:
        """Stop, then start on the same database; the fakes and Synapse stay up."""
        await self.stop()
        return await self.start()

    async def idle(self) -> None:
        """Wait until Slack and Discord have handled every payload they accepted.

        Matrix has no such queue to drain: its events are handled in sync order,
        so wait on what a Matrix person sees instead.
        """
        assert self.app is not None
        slack, discord = self.app.transports["slack"], self.app.transports["discord"]
        assert isinstance(slack, SlackTransport) and isinstance(discord, DiscordTransport)
        await slack.idle()
        await discord.idle()

    # --- Matrix ---

    async def matrix_person(self, name: str) -> Person:
        """A registered, logged-in Matrix person (closed by the ``people`` fixture)."""
        person: Person = await self.people.person(name)
        return person

    async def matrix_room(self, person: Person, name: str = "ops lobby") -> str:
        """``person`` makes a room and invites the bot, which joins (they may invite it); its id."""
        created = await person.client.room_create(name=name, invite=[self.matrix_bot])
        room_id = str(created.room_id)
        await person.wait_for(
            lambda: any(
                s.room_id == room_id
                and getattr(s.event, "state_key", None) == self.matrix_bot
                and getattr(s.event, "membership", None) == "join"
                for s in person.seen
            )
        )
        return room_id

    async def matrix_reply(self, person: Person, room_id: str, text: str, seconds: float = 20) -> str:
        """``person`` says ``text`` in the room; the bot's next notice there."""
        return await person.reply_to(room_id, text, self.matrix_bot, seconds)

    # --- Slack ---

    async def slack_say(
        self, text: str, user: str = SLACK_ALICE, channel: str = SLACK_GENERAL, thread_ts: str | None = None
    ) -> str:
        """``user`` types ``text`` in the channel (a Socket Mode ``message`` event); its ts."""
        payload = self.slack.message_event(text, user, channel, thread_ts)
        await self.slack.push("events_api", payload)
        return str(payload["event"]["ts"])

    def slack_said(self, channel: str = SLACK_GENERAL) -> list[SlackPosted]:
        """What the bot has posted in a Slack channel, oldest first."""
        return [m for m in self.slack.channels[channel].messages.values() if m.user == SLACK_BOT]

    async def slack_reply(
        self, text: str, user: str = SLACK_ALICE, channel: str = SLACK_GENERAL, seconds: float = 10
    ) -> SlackPosted:
        """``user`` types ``text``; the bot's next message in that channel."""
        before = len(self.slack_said(channel))
        await self.slack_say(text, user, channel)
        await self.slack.wait_for(lambda: len(self.slack_said(channel)) > before, seconds)
        return self.slack_said(channel)[before]

    # --- Discord ---

    async def discord_say(self, text: str, user: str = DISCORD_ALICE, channel: str = DISCORD_OPS) -> str:
        """``user`` types ``text`` in the channel (a gateway ``MESSAGE_CREATE``); its message id."""
        message = self.discord.message(text, user, channel)
        await self.discord.dispatch("MESSAGE_CREATE", message)
        return str(message["id"])

    def discord_said(self, channel: str = DISCORD_OPS) -> list[DiscordPosted]:
        """What the bot has posted in a Discord channel, oldest first."""
        return [m for m in self.discord.channels[channel].messages.values() if m.author == DISCORD_BOT]

    async def discord_reply(
        self, text: str, user: str = DISCORD_ALICE, channel: str = DISCORD_OPS, seconds: float = 10
    ) -> DiscordPosted:
        """``user`` types ``text``; the bot's next message in that channel."""
        before = len(self.discord_said(channel))
        await self.discord_say(text, user, channel)
        await self.discord.wait_for(lambda: len(self.discord_said(channel)) > before, seconds)
        return self.discord_said(channel)[before]

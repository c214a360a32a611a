"""chatops connected to the local Discord through discord.py, restartable on one database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fake_discord import GUILD_ID, TOKEN, FakeDiscord

from chatops.app import App
from chatops.config import load_config
from chatops.transports.discord.transport import DiscordTransport
from chatops.web import WebServer


class DiscordBot:
    def __init__(
        self,
        discord: FakeDiscord,
        tmp: Path,
        plugins: list[tuple[str, object]],
        config: dict[str, Any] | None = None,
        **settings: Any,
    ) -> None:
        self.discord = discord
        self.plugins = plugins
        transport = {
            "token": TOKEN,
            "guild_ids": [int(GUILD_ID)],
            "api_url": discord.api_url,
            "gateway_url": discord.gateway_url,
            "text_commands": True,
            **settings,
        }
        self.http = settings.get("interactions") == "http"
        self.config = load_config(
            None,
            db_url=f"sqlite:///{tmp / 'bot.db'}",  # not the harness's file: one serving process per SQLite file
            environ={},
            overrides={"web": {"enabled": False}, "transports": {"discord": transport}, **(config or {})},
        )
        self.app: App | None = None
        self.web: WebServer | None = None
        self.url = ""

    @property
    def transport(self) -> DiscordTransport:
        assert self.app is not None
        found = self.app.transports["discord"]
        assert isinstance(found, DiscordTransport)
        return found

    async def start(self) -> App:
        app = self.app = App(self.config, extra_plugins=self.plugins)
        await app.start()
        if self.http:
            self.web = WebServer(app)
            self.url = f"http://127.0.0.1:{await self.web.start('127.0.0.1', 0)}/discord/interactions"
        return app

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.stop()
            self.web = None
        if self.app is not None and self.app.started:
            await self.app.stop()

    async def restart(self) -> App:
        await self.stop()
        return await self.start()

    async def idle(self) -> None:
        await self.transport.idle()

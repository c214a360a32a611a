"""chatops connected to the local Slack through slack-sdk, restartable on one database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack

from chatops.app import App
from chatops.config import load_config
from chatops.transports.slack.transport import SlackTransport
from chatops.web import WebServer

ALICE, BOB = "UALICE001", "UBOB00001"
SIGNING_SECRET = "test-signing-secret-8f2a"


class SlackBot:
    """chatops with the Slack transport (Socket Mode unless told otherwise), restartable on one database."""

    def __init__(
        self,
        slack: FakeSlack,
        tmp: Path,
        plugins: list[tuple[str, object]],
        config: dict[str, Any] | None = None,
        **settings: Any,
    ) -> None:
        self.slack = slack
        self.plugins = plugins
        self.mode = settings.get("mode", "socket")
        transport = {
            "bot_token": BOT_TOKEN,
            "app_token": APP_TOKEN,
            "signing_secret": SIGNING_SECRET,
            "api_url": slack.api_url,
            **settings,
        }
        self.config = load_config(
            None,
            db_url=f"sqlite:///{tmp / 'bot.db'}",  # not the harness's file: one serving process per SQLite file
            environ={},
            overrides={"web": {"enabled": False}, "transports": {"slack": transport}, **(config or {})},
        )
        self.app: App | None = None
        self.web: WebServer | None = None
        self.url = ""

    async def start(self) -> App:
        app = self.app = App(self.config, extra_plugins=self.plugins)
        await app.start()
        if self.mode == "http":
            self.web = WebServer(app)
            self.url = f"http://127.0.0.1:{await self.web.start('127.0.0.1', 0)}/slack"
        else:
            await self.slack.connected()
        return app

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.stop()
        if self.app is not None and self.app.started:
            await self.app.stop()

    async def idle(self) -> None:
        """Wait until every accepted payload has been handled."""
        assert self.app is not None
        transport = self.app.transports["slack"]
        assert isinstance(transport, SlackTransport)
        await transport.idle()

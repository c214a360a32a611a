"""Fixtures for the Slack tests: a local Slack, and chatops connected to it through slack-sdk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from fake_slack import APP_TOKEN, BOT_TOKEN, BOT_USER, FakeSlack

from chatops.app import App
from chatops.config import load_config
from chatops.transports.slack.transport import SlackTransport
from chatops.web import WebServer

ALICE, BOB = "UALICE001", "UBOB00001"
SIGNING_SECRET = "test-signing-secret-8f2a"


class SlackBot:
    """chatops with the Slack transport (Socket Mode unless told otherwise), restartable on one database."""

    def __init__(
        self, slack: FakeSlack, tmp: Path, plugins: list[tuple[str, object]], **settings: Any
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
            db_url=f"sqlite:///{tmp / 'chatops.db'}",
            environ={},
            overrides={"web": {"enabled": False}, "transports": {"slack": transport}},
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


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    fake.add_user(ALICE, "alice")
    fake.add_user(BOB, "bob")
    fake.channels["C0GENERAL"].members += [ALICE, BOB]
    yield fake
    await fake.stop()


@pytest_asyncio.fixture
async def bot(
    slack: FakeSlack, tmp_path: Path, chatops_plugins: list[tuple[str, object]]
) -> AsyncIterator[SlackBot]:
    runner = SlackBot(slack, tmp_path, chatops_plugins)
    await runner.start()
    yield runner
    await runner.stop()


@pytest_asyncio.fixture
async def http_bot(
    slack: FakeSlack, tmp_path: Path, chatops_plugins: list[tuple[str, object]]
) -> AsyncIterator[SlackBot]:
    runner = SlackBot(slack, tmp_path, chatops_plugins, mode="http")
    await runner.start()
    yield runner
    await runner.stop()


__all__ = ["ALICE", "BOB", "BOT_USER", "SIGNING_SECRET", "SlackBot"]

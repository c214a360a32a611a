"""Fixtures for the Discord tests: a local Discord, and chatops connected to it through discord.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from discord_bot import DiscordBot
from fake_discord import ALICE, BOB, FakeDiscord


@pytest_asyncio.fixture
async def discord_server() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord(heartbeat_interval_ms=1000).start()
    fake.add_user(ALICE, "alice")
    fake.add_user(BOB, "bob")
    yield fake
    await fake.stop()


@pytest_asyncio.fixture
async def bot(
    discord_server: FakeDiscord, tmp_path: Path, chatops_plugins: list[tuple[str, object]]
) -> AsyncIterator[DiscordBot]:
    runner = DiscordBot(discord_server, tmp_path, chatops_plugins)
    await runner.start()
    yield runner
    await runner.stop()

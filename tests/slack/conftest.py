"""Fixtures for the Slack tests: a local Slack, and chatops connected to it through slack-sdk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from fake_slack import FakeSlack
from slack_bot import ALICE, BOB, SlackBot


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

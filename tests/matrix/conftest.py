"""Fixtures for the Matrix tests: one real Synapse per session, random users per test, the bot."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from people import PASSWORD, Person
from synapse_server import Synapse, SynapseUnavailable, synapse_python
from three_platforms import ThreePlatforms, fakes

from chatops.app import App
from chatops.config import load_config


@pytest.fixture(scope="session")
def synapse() -> Iterator[Synapse]:
    try:
        server = Synapse(synapse_python())
        server.start()
    except SynapseUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Synapse is required under CI=true: {exc}")
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.close()


class People:
    """Registers fresh users on the test's homeserver and logs them in."""

    def __init__(self, synapse: Synapse) -> None:
        self.synapse = synapse
        self.suffix = uuid.uuid4().hex[:6]
        self.started: list[Person] = []

    def mxid(self, name: str) -> str:
        return f"@{name}{self.suffix}:{self.synapse.server_name}"

    async def register(self, name: str, admin: bool = False) -> dict[str, str]:
        return await self.synapse.register(f"{name}{self.suffix}", PASSWORD, admin=admin)

    async def person(self, name: str, store: Path | None = None) -> Person:
        """A registered, logged-in person (with end-to-end encryption when given a store)."""
        await self.register(name)
        person = Person(self.synapse.url, self.mxid(name), store)
        await person.start()
        self.started.append(person)
        return person


@pytest_asyncio.fixture
async def people(synapse: Synapse) -> AsyncIterator[People]:
    found = People(synapse)
    yield found
    for person in found.started:
        await person.close()


class Bot:
    """chatops with the Matrix transport, restartable on the same database and device store."""

    def __init__(
        self,
        synapse: Synapse,
        people: People,
        tmp: Path,
        config: dict[str, Any] | None = None,
        plugins: list[tuple[str, object]] | None = None,
    ) -> None:
        self.user_id = people.mxid("chatops")
        self.plugins = plugins or []
        matrix = {
            "homeserver": synapse.url,
            "user_id": self.user_id,
            "password": PASSWORD,
            "store_path": str(tmp / "matrix-store"),
            "auto_join_users": [people.mxid("alice")],
            "reconnect_max_wait_s": 1,
            "encryption": False,  # the plain-room tests; test_encryption.py turns it on
            **(config or {}).get("matrix", {}),
        }
        self.config = load_config(
            None,
            db_url=f"sqlite:///{tmp / 'bot.db'}",  # not the harness's file: one serving process per SQLite file
            environ={},
            overrides={
                "web": {"enabled": False},
                "admins": [f"matrix:{people.mxid('root')}"],
                "transports": {"matrix": matrix},
                **{k: v for k, v in (config or {}).items() if k != "matrix"},
            },
        )
        self.app: App | None = None

    async def start(self) -> App:
        self.app = App(self.config, extra_plugins=self.plugins)
        await self.app.start()
        return self.app

    async def stop(self) -> None:
        if self.app is not None and self.app.started:
            await self.app.stop()


@pytest_asyncio.fixture
async def bot(
    synapse: Synapse, people: People, tmp_path: Path, chatops_plugins: list[tuple[str, object]]
) -> AsyncIterator[Bot]:
    await people.register("chatops")
    runner = Bot(synapse, people, tmp_path, {}, chatops_plugins)
    await runner.start()
    yield runner
    await runner.stop()


@pytest.fixture
def three_platforms_config() -> dict[str, Any]:
    """Config overrides for ``three_platforms`` (override this fixture, e.g. ``{"bridging": {...}}``)."""
    return {}


@pytest_asyncio.fixture
async def three_platforms(
    synapse: Synapse,
    people: People,
    tmp_path: Path,
    chatops_plugins: list[tuple[str, object]],
    three_platforms_config: dict[str, Any],
) -> AsyncIterator[ThreePlatforms]:
    """One running chatops on Synapse, the local Slack and the local Discord; all stopped afterwards."""
    await people.register("chatops")
    slack, discord = await fakes()
    runner: ThreePlatforms | None = None
    try:  # the fakes stop even when the config is refused or the app fails to start
        runner = ThreePlatforms(
            synapse, people, slack, discord, tmp_path, three_platforms_config, chatops_plugins
        )
        await runner.start()
        yield runner
    finally:
        try:
            if runner is not None:
                await runner.stop()
        finally:
            await slack.stop()
            await discord.stop()

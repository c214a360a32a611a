"""pytest fixtures for chatops and its plugins (registered through ``pytest11``).

- ``chatops_db_url``: a fresh SQLite database in the test's temporary folder.
- ``register_plugin``: add a plugin object for the ``chat`` fixture to load.
- ``chat_config``: a dict of config overrides for ``chat`` (override it or mutate it).
- ``chat``: a started ``Harness`` (fake transport, fake clock), stopped afterwards.
- ``chat_factory``: build more harnesses (``await chat_factory(config=...)``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from chatops.testing.harness import Harness, sqlite_url

try:
    import pytest_asyncio

    HAVE_PYTEST_ASYNCIO = True
except ImportError:  # pragma: no cover - the async fixtures need pytest-asyncio
    HAVE_PYTEST_ASYNCIO = False


@pytest.fixture
def chatops_db_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


@pytest.fixture
def chatops_plugins() -> list[tuple[str, object]]:
    return []


@pytest.fixture
def register_plugin(chatops_plugins: list[tuple[str, object]]) -> Callable[..., None]:
    def register(plugin: object, name: str | None = None) -> None:
        chatops_plugins.append((name or str(getattr(plugin, "__name__", repr(plugin))), plugin))

    return register


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return {}


if HAVE_PYTEST_ASYNCIO:

    @pytest_asyncio.fixture
    async def chat_factory(
        chatops_db_url: str, chatops_plugins: list[tuple[str, object]], chat_config: dict[str, Any]
    ) -> AsyncIterator[Callable[..., Awaitable[Harness]]]:
        made: list[Harness] = []

        async def make(**kwargs: Any) -> Harness:
            kwargs.setdefault("config", chat_config)
            kwargs.setdefault("plugins", chatops_plugins)
            harness = await Harness.create(chatops_db_url, **kwargs)
            made.append(harness)
            return harness

        yield make
        for first in made:
            harness: Harness | None = first
            while harness is not None:
                if harness.app.started:
                    await harness.close()
                harness = harness.successor

    @pytest_asyncio.fixture
    async def chat(chat_factory: Callable[..., Awaitable[Harness]]) -> Harness:
        return await chat_factory()

"""The HTTP API against a harness: three integrations with different actions, people to page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from api.apiclient import API_CONFIG, Api
from chatops.testing import Harness
from chatops.web import build_web_app


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return API_CONFIG


@pytest_asyncio.fixture
async def web(chat: Harness) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        yield client


@pytest.fixture
def api(chat: Harness, web: TestClient[Any, Any]) -> Api:
    return Api(chat, web)

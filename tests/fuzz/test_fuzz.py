"""Generated input, thousands of times: never a traceback, never a 500, nothing stored from a refusal.

Commands go through the whole pipeline (transport message → dispatcher →
plugins) of one app; webhook bodies and headers go to every HTTP receiver
of one web server.  A plugin failure counts as a bug here too: the answer
to nonsense is a clear refusal, not "the plugin failed".
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from chatops.testing import Harness
from chatops.testing.harness import sqlite_url
from chatops.web import build_web_app
from chatops_plugins.alerts.tables import notifications

COMMANDS = [
    "incident declare",
    "incident sev",
    "incident note",
    "incident role",
    "incident resolve",
    "incident timeline",
    "page",
    "ack",
    "oncall who",
    "oncall override",
    "oncall swap",
    "oncall accept",
    "whoami link",
    "alert ack",
    "alert declare",
    "silence",
    "postmortem set",
    "postmortem why",
    "action add",
    "action done",
    "actions",
    "metrics",
    "statuspage draft",
    "statuspage publish",
    "maintenance schedule",
    "help",
]
WORDS = st.sampled_from(
    [
        "--sev",
        "--id",
        "--at",
        "--due",
        "--owner",
        "--title",
        "--components",
        "--status",
        "--impact",
        "--since",
        "@alice",
        "@bob",
        "now",
        "in 2h",
        "2026-13-40",
        "99999999999999999999",
        "-1",
        "0",
        "S-1",
        "A-1",
        "P-1",
        "AI-1",
        "INC-1",
        '"',
        "“",
        "'",
        "--",
        "sev2",
        "critical",
        "resolved",
        "platform",
        "checkout",
        "\x00",
        "🔥",
    ]
)
TOKENS = st.one_of(WORDS, st.text(min_size=1, max_size=12))
CONFIG: dict[str, Any] = {
    "oncall": {
        "people": {"alice": {"accounts": ["test:alice"]}, "bob": {"accounts": ["test:bob"]}},
        "schedules": {
            "platform": {"layers": [{"participants": ["alice", "bob"], "start": "2026-02-23 09:00"}]}
        },
        "policies": {"default": {"steps": [{"targets": ["schedule:platform"], "after": "5m"}]}},
    },
    "alerts": {
        "sources": {
            "prom": {"format": "alertmanager", "token": "t"},
            "hooks": {"format": "generic", "hmac_secret": "s"},
        }
    },
    "statuspage": {"components": [{"id": "checkout", "name": "Checkout"}]},
}


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    found = asyncio.new_event_loop()
    yield found
    found.close()


@pytest.fixture(scope="module")
def chat(loop: asyncio.AbstractEventLoop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    directory: Path = tmp_path_factory.mktemp("fuzz")
    harness = loop.run_until_complete(Harness.create(sqlite_url(directory), config=CONFIG))
    loop.run_until_complete(harness.say('!incident declare "Fuzzing target" --sev 2', user="alice"))
    yield harness
    loop.run_until_complete(harness.close())


def answers_cleanly(sent: list[Any]) -> None:
    for message in sent:
        assert "Traceback" not in message.text and "plugin failed" not in message.text, message.text


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    command=st.sampled_from(COMMANDS),
    tokens=st.lists(TOKENS, max_size=6),
    user=st.sampled_from(["alice", "bob", "mallory"]),
    room=st.sampled_from(["lobby", "inc-1-fuzzing-target"]),
)
def test_commands_never_crash(
    chat: Harness, loop: asyncio.AbstractEventLoop, command: str, tokens: list[str], user: str, room: str
) -> None:
    text = f"!{command} " + " ".join(tokens)
    answers_cleanly(loop.run_until_complete(chat.say(text, user=user, room=room)))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=200))
def test_any_text_is_answered_or_ignored(chat: Harness, loop: asyncio.AbstractEventLoop, text: str) -> None:
    answers_cleanly(loop.run_until_complete(chat.say(text, user="alice")))
    answers_cleanly(loop.run_until_complete(chat.say("!" + text, user="alice")))


@pytest.fixture(scope="module")
def web(loop: asyncio.AbstractEventLoop, chat: Harness) -> Iterator[TestClient[Any, Any]]:
    async def make() -> TestClient[Any, Any]:
        client: TestClient[Any, Any] = TestClient(TestServer(build_web_app(chat.app)))
        await client.start_server()
        return client

    client = loop.run_until_complete(make())
    yield client
    loop.run_until_complete(client.close())


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSONISH.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {
            "version": st.sampled_from(["4", "1", 4]),
            "groupKey": st.text(max_size=10),
            "status": st.text(max_size=8),
            "alerts": st.lists(
                st.dictionaries(
                    st.sampled_from(["status", "labels", "startsAt", "fingerprint", "name"]),
                    JSONISH,
                    max_size=4,
                ),
                max_size=3,
            ),
        }
    ).map(lambda value: json.dumps(value).encode()),
)
PATHS = st.sampled_from(
    [
        "/alerts/prom",
        "/alerts/hooks",
        "/alerts/nowhere",
        "/status",
        "/api/v2/summary.json",
        "/metrics",
        "/readyz",
        "/oncall/platform.ics",
    ]
)
HEADERS = st.dictionaries(
    st.sampled_from(["Authorization", "X-Chatops-Signature", "X-Chatops-Timestamp", "Content-Type"]),
    st.one_of(
        st.sampled_from(["Bearer t", "Bearer x", "sha256=00", "9" * 30, "application/json"]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
    ),
    max_size=4,
)


async def stored(chat: Harness) -> int:
    async with chat.app.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(notifications)) or 0)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=PATHS, body=BODIES, headers=HEADERS, method=st.sampled_from(["POST", "GET"]))
def test_receivers_never_answer_500_and_store_nothing_they_refuse(
    chat: Harness,
    web: TestClient[Any, Any],
    loop: asyncio.AbstractEventLoop,
    path: str,
    body: bytes,
    headers: dict[str, str],
    method: str,
) -> None:
    async def probe() -> None:
        before = await stored(chat)
        response = await web.request(method, path, data=body, headers=headers)
        await response.read()
        assert response.status < 500 or (path == "/readyz" and response.status == 503), (
            path,
            response.status,
        )
        if not 200 <= response.status < 300:
            assert await stored(chat) == before, (path, response.status)

    loop.run_until_complete(probe())

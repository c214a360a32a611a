"""What a customer sees, in a real browser: headless Chromium loads the page served on loopback."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from chatops.testing import Harness
from chatops.web import build_web_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CHATOPS_TEST_ARTIFACTS", ROOT / ".test-artifacts"))
ROOM = "inc-1-checkout-api-errors"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        reason = "Chromium is not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; .ci/run installs it, and CI=true must not skip")
        pytest.skip(reason)
    return found


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return {
        "statuspage": {
            "name": "Example Status",
            "time_zone": "Europe/Berlin",
            "components": [{"id": "checkout", "name": "Checkout"}, {"id": "login", "name": "Login"}],
        }
    }


@pytest_asyncio.fixture
async def served(chat: Harness) -> AsyncIterator[str]:
    server = TestServer(build_web_app(chat.app), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/status"))
    await server.close()


async def browse(url: str, tmp_path: Path, *action: str) -> str:
    """Run headless Chromium as CI can (root, no outside network) and return what it printed."""
    process = await asyncio.create_subprocess_exec(
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        *action,
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode(errors="replace")


async def test_a_customer_sees_the_public_story_in_a_browser(
    chat: Harness, served: str, tmp_path: Path
) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await chat.say("!incident hypothesis connection pool exhaustion", user="alice", room=ROOM)
    await chat.say(
        '!statuspage draft "Some customers cannot pay. We are on it." --title "Payments failing" --components checkout',
        user="alice",
        room=ROOM,
    )
    await chat.say("!statuspage publish", user="alice", room=ROOM)

    dom = await browse(served, tmp_path, "--dump-dom")
    assert "<title>Example Status</title>" in dom
    assert 'class="banner major" role="status">Partial System Outage</p>' in dom
    assert (
        'Checkout <small class="history">1 incident in 90 days</small></span> <span class="state">Partial outage'
        in dom
    )
    assert (
        'Login <small class="history">0 incidents in 90 days</small></span> <span class="state">Operational'
        in dom
    )
    assert "Some customers cannot pay. We are on it." in dom and "Mar 02, 15:00 CET" in dom
    assert (
        "connection pool exhaustion" not in dom and "Checkout API errors" not in dom
    )  # the room's stay in it
    assert "Payments failing" in dom

    await asyncio.to_thread(ARTIFACTS.mkdir, parents=True, exist_ok=True)
    shot = ARTIFACTS / "statuspage.png"
    await browse(served, tmp_path, f"--screenshot={shot}", "--window-size=900,1100", "--hide-scrollbars")
    assert (await asyncio.to_thread(shot.read_bytes)).startswith(b"\x89PNG")

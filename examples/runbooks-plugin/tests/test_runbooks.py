"""The example plugin, tested with chatops' own harness (the ``chat`` fixtures)."""

from __future__ import annotations

from typing import Any

import chatops_runbooks
import pytest

from chatops.testing import Harness


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return {"runbooks": {"links": {"checkout-api": "https://wiki.example.org/runbooks/checkout"}}}


@pytest.fixture
def chatops_plugins() -> list[tuple[str, object]]:
    # Installed packages load through their entry point; this registers the
    # module directly so the test also runs from a source checkout.
    return [] if _installed() else [("runbooks", chatops_runbooks)]


def _installed() -> bool:
    from importlib.metadata import entry_points

    return any(ep.name == "runbooks" for ep in entry_points(group="chatops.plugins"))


async def test_runbook_command(chat: Harness) -> None:
    assert await chat.reply("!runbook show checkout-api") == (
        "Runbook for checkout-api: https://wiki.example.org/runbooks/checkout"
    )
    assert await chat.reply("!runbook show search") == "No runbook for 'search'. Known: checkout-api."


async def test_incident_room_gets_the_runbooks_of_its_services(chat: Harness) -> None:
    sent = await chat.say("!incident declare Checkout down --service checkout-api --sev 1", user="alice")
    posted = [m for m in sent if m.room == "inc-1-checkout-down" and m.text.startswith("Runbooks:")]
    assert [m.text for m in posted] == ["Runbooks:\ncheckout-api: https://wiki.example.org/runbooks/checkout"]

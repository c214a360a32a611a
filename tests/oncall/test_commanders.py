"""The Incident Commander on duty: named in the room of a declaration by someone else, paged for a Sev1."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.config import ConfigError
from chatops.testing import Harness

POOL: dict[str, Any] = {
    "oncall": {
        "people": {
            "alice": {"accounts": ["test:alice"]},
            "bob": {"accounts": ["test:bob"]},
            "carol": {"accounts": ["test:carol"]},
        },
        "schedules": {
            # a week each, from Monday 2026-02-23 09:00 UTC: carol has the week of 2026-03-02 (the harness' today)
            "commanders": {
                "layers": [{"participants": ["alice", "carol"], "start": "2026-02-23 09:00", "shift": "1w"}]
            }
        },
        "ic_schedule": "commanders",
    }
}


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return POOL


async def test_a_sev1_declared_by_someone_else_names_and_pages_the_ic_on_duty(chat: Harness) -> None:
    sent = await chat.say('!incident declare "Checkout down" --sev 1', user="bob")
    room = [m.text for m in sent if m.room == "inc-1-checkout-down"]
    assert "🎖️ Incident Commander on duty: @carol. To hand over: !incident role ic @carol" in room
    [paged] = [m.text for m in sent if m.room == "@carol"]
    assert paged.startswith("📟 You are paged: P-1 · Sev1 · INC-1: Incident Commander needed: Checkout down")
    assert not any(m.room == "@alice" for m in sent)  # not on duty this week


async def test_a_sev3_names_the_ic_on_duty_without_paging_and_the_ic_on_duty_declaring_hears_nothing(
    chat: Harness,
) -> None:
    sent = await chat.say('!incident declare "Slow search" --sev 3', user="bob")
    assert any(m.text.startswith("🎖️ Incident Commander on duty: @carol") for m in sent)
    assert not any(m.room == "@carol" for m in sent)
    sent = await chat.say('!incident declare "Checkout down" --sev 1', user="carol")
    assert not any("on duty" in m.text or m.text.startswith("📟") for m in sent)


async def test_a_stranger_declaring_wakes_nobody(chat: Harness) -> None:
    sent = await chat.say('!incident declare "Checkout down" --sev 1', user="mallory")
    assert not any(m.text.startswith("📟") for m in sent)  # no page
    assert any(m.text.startswith("🎖️ Incident Commander on duty: @carol") for m in sent)


async def test_the_ic_schedule_must_exist(chat_factory: Any) -> None:
    broken = {"oncall": {**POOL["oncall"], "ic_schedule": "nobody"}}
    with pytest.raises(ConfigError, match="ic_schedule: no schedule 'nobody'"):
        await chat_factory(config=broken)

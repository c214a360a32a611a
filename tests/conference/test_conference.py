"""A serious incident gets a meeting link, pinned in its room, once; smaller ones do not."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from chatops import Capabilities, hookimpl
from chatops.testing import Harness

LINK = re.compile(r"^📞 Bridge for INC-1: https://meet\.jit\.si/inc-1-checkout-down-[0-9a-f]{12}$")


def bridges(chat: Harness) -> list[str]:
    return [m.text for m in chat.messages() if m.text.startswith("📞")]


async def test_a_sev1_gets_a_pinned_unguessable_link_recorded_in_its_timeline(
    chat_factory: Callable[..., Awaitable[Harness]],
) -> None:
    chat = await chat_factory(capabilities=Capabilities(edits=True, pins=True))
    await chat.say('!incident declare "Checkout down" --sev 1', user="alice")
    [bridge] = bridges(chat)
    assert LINK.match(bridge)
    sent = [m for m in chat.messages("inc-1-checkout-down") if m.text == bridge]
    assert len(sent) == 1 and len(chat.transport.pins) == 2  # the status message and the bridge
    url = bridge.split(": ", 1)[1]
    assert f"conference_opened: {url}" in await chat.reply("!incident timeline", room="inc-1-checkout-down")
    await chat.say("!incident sev 2", user="alice", room="inc-1-checkout-down")
    assert len(bridges(chat)) == 1  # once per incident


async def test_a_sev3_gets_none_until_it_is_raised(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout down" --sev 3', user="alice")
    assert bridges(chat) == []
    await chat.say("!incident sev 2", user="alice", room="inc-1-checkout-down")
    [bridge] = bridges(chat)
    assert LINK.match(bridge)


class Provider:
    """An organisation's meeting provider, asked through the hook."""

    def __init__(self, answer: str | None = "https://zoom.example.org/j/123", fail: bool = False) -> None:
        self.answer, self.fail = answer, fail
        self.asked: list[Any] = []

    @hookimpl
    async def chatops_conference_link(self, app: Any, incident: Any) -> str | None:
        self.asked.append(incident.ref)
        if self.fail:
            raise RuntimeError("the provider's API is down")
        return self.answer


async def test_a_plugin_makes_the_meeting_and_a_failing_one_falls_back_to_the_template(
    chat_factory: Callable[..., Awaitable[Harness]],
) -> None:
    provider = Provider()
    chat = await chat_factory(plugins=[("zoom", provider)])
    await chat.say('!incident declare "Checkout down" --sev 1', user="alice")
    assert bridges(chat) == ["📞 Bridge for INC-1: https://zoom.example.org/j/123"] and provider.asked == [
        "INC-1"
    ]
    await chat.close()

    failing = Provider(fail=True)
    chat = await chat_factory(plugins=[("zoom", failing)])
    await chat.say('!incident declare "Search down" --sev 1', user="alice")
    assert failing.asked == ["INC-2"]
    assert any(
        t.startswith("📞 Bridge for INC-2: https://meet.jit.si/inc-2-search-down-") for t in bridges(chat)
    )


async def test_the_severities_and_the_template_come_from_config(
    chat_factory: Callable[..., Awaitable[Harness]],
) -> None:
    chat = await chat_factory(
        config={
            "conference": {
                "severities": [3],
                "url_template": "https://jitsi.example.org/ops-{number}-{secret}",
            }
        }
    )
    await chat.say('!incident declare "Checkout down" --sev 1', user="alice")
    await chat.say('!incident declare "Slow search" --sev 3', user="alice")
    [bridge] = bridges(chat)
    assert re.match(r"^📞 Bridge for INC-2: https://jitsi\.example\.org/ops-2-[0-9a-f]{12}$", bridge)

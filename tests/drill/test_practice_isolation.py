"""A practice incident is a drill everywhere: kept out of metrics, off the real status page,
and paging no real on-call; only drill participants, in chat only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from chatops import Capabilities
from chatops.storage.tables import deliveries, timers
from chatops.testing import Harness
from chatops.web import build_web_app

DRILL_ROOM = "drill-1-checkout-latency"
INC_ROOM = "inc-1-checkout-degraded"
AUTH = {"Authorization": "Bearer scrape-secret"}


@pytest.fixture
def chat_config(chat_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **chat_config,
        "metrics": {"token": "scrape-secret"},
        "statuspage": {
            "name": "Example Status",
            "components": [{"id": "checkout", "name": "Checkout"}],
            "stakeholder_room": "test:stakeholders",
            "webhooks": [{"name": "comms", "url": "http://127.0.0.1:9/hook", "secret": "hook-secret"}],
        },
    }


@pytest_asyncio.fixture
async def web(chat: Harness) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        yield client


async def practice_incident(chat: Harness, sev: int = 2) -> None:
    """dave starts a drill (alice is its IC) and alice declares in the drill room: INC-1."""
    await chat.say("!drill start checkout-latency", user="dave")
    await chat.say(f'!incident declare "Checkout degraded" --sev {sev}', user="alice", room=DRILL_ROOM)


async def test_outside_a_drill_room_an_incident_is_real(chat: Harness) -> None:
    await chat.say("!drill start checkout-latency", user="dave")
    answer = await chat.reply('!incident declare "Search down" --sev 3', user="bob")
    assert answer.startswith('INC-1 declared · Sev3 · "Search down"')
    assert "DRILL" not in chat.transport.topic("inc-1-search-down")


async def test_the_practice_incident_is_marked_wherever_it_shows(chat: Harness) -> None:
    await practice_incident(chat)
    await chat.say('!incident declare "Search down" --sev 3', user="bob")
    listing = (await chat.reply("!incident list")).splitlines()
    assert listing[1].startswith('🧪 DRILL · INC-1 · Sev2 · investigating · "Checkout degraded"')
    assert listing[2].startswith('INC-2 · Sev3 · investigating · "Search down"')
    assert (await chat.reply("!incident status", room=INC_ROOM)).startswith("🧪 DRILL · INC-1 · Sev2")
    assert chat.transport.topic(INC_ROOM).startswith("🧪 DRILL · INC-1")
    assert "Injects: 0 of 7 played" in await chat.reply(
        "!drill status", room=INC_ROOM
    )  # the incident's room finds its drill


async def test_a_drill_is_never_counted_in_metrics(chat: Harness, web: TestClient[Any, Any]) -> None:
    from chatops_plugins.incident import chatops_export
    from chatops_plugins.metrics import incidents_report

    await practice_incident(chat, sev=2)
    await chat.advance("10m")
    await chat.say('!incident mitigated "rolled back"', user="alice", room=INC_ROOM)
    await chat.say('!incident resolve --force "drill over"', user="alice", room=INC_ROOM)
    await chat.say('!incident declare "Search down" --sev 3', user="bob")  # a real one, INC-2

    assert (await chat.reply("!metrics")).splitlines()[0] == "All incidents: 1 (Sev3: 1); near-misses: 0"
    report = await incidents_report(chat.app, None, "json", None)
    assert '"incidents": 1' in report and '"2": 1' not in report
    body = await (await web.get("/metrics", headers=AUTH)).text()
    assert 'chatops_incidents{severity="3"} 1.0' in body and 'severity="2"' not in body
    assert "chatops_incidents_open 1.0" in body
    exported = (await chatops_export(chat.app))["incidents"]
    assert [(i["ref"], i["drill"]) for i in exported] == [("INC-1", True), ("INC-2", False)]


async def test_a_drill_publishes_to_the_sandbox_never_the_real_page(
    chat: Harness, web: TestClient[Any, Any]
) -> None:
    await practice_incident(chat)
    draft = await chat.reply(
        '!statuspage draft "Checkout is slow for some customers." --title "Checkout degraded" --components checkout',
        user="alice",
        room=INC_ROOM,
    )
    assert draft.startswith("🧪 Draft for the sandbox status page (a drill: never published for real):")
    published = await chat.reply("!statuspage publish", user="alice", room=INC_ROOM)
    assert (
        published.splitlines()[0]
        == "[sandbox] would publish: investigating — Checkout is slow for some customers."
    )

    real = await (await web.get("/status")).text()
    summary = await (await web.get("/api/v2/summary.json")).json()
    assert "Checkout degraded" not in real and summary["incidents"] == []
    assert [c["status"] for c in summary["components"]] == ["operational"]
    sandbox = await (await web.get("/status/sandbox")).text()
    assert "Checkout degraded" in sandbox and "SANDBOX" in sandbox
    async with chat.app.db.read() as conn:
        assert (await conn.execute(select(deliveries))).all() == []  # the webhook publisher got nothing
    assert chat.messages("stakeholders") == []  # nor did the stakeholders


async def test_stakeholders_still_hear_of_real_incidents(chat: Harness) -> None:
    await practice_incident(chat)
    await chat.say('!incident declare "Search down" --sev 2', user="bob")
    assert [m.text for m in chat.messages("stakeholders")] == [
        "🔴 Sev2 · INC-2 · Search down: declared. Impact is being assessed; updates follow."
    ]


async def test_a_drill_pages_no_real_on_call(chat: Harness) -> None:
    await practice_incident(chat, sev=1)  # Sev1: the policy would page erin, and carol is IC on duty
    await chat.say("!incident sev 2", user="alice", room=INC_ROOM)
    await chat.say(
        "!incident sev 1", user="alice", room=INC_ROOM
    )  # raising pages by policy, except in a drill
    assert not any(m.text.startswith("📟") for m in chat.messages())
    assert not any("Incident Commander on duty" in m.text for m in chat.messages())


async def test_a_manual_page_in_a_drill_reaches_only_participants_and_only_in_chat(chat: Harness) -> None:
    await practice_incident(chat)
    await chat.say("!incident role tech-lead @bob", user="alice", room=INC_ROOM)
    refused = await chat.reply('!page primary "help"', user="alice", room=INC_ROOM)
    assert refused == (
        "This is a drill: primary would page real on-call people. Page a drill participant by name, "
        'e.g. !page @dave "<message>" (participants: @dave, @alice, @bob).'
    )
    refused = await chat.reply('!page @erin "help"', user="alice", room=DRILL_ROOM)
    assert refused == (
        "@erin is not taking part in this drill, so a drill page cannot reach them "
        "(participants: @dave, @alice, @bob). To take part, they type !drill join in the drill's room."
    )
    # bob holds a role in the practice incident: he takes part
    sent = await chat.say('!page @bob "look at checkout-api"', user="alice", room=INC_ROOM)
    assert "P-1 is paging bob (step 1/1, round 1/3); !ack P-1 stops it. 🧪 A drill page: in chat only." in [
        m.text for m in sent
    ]
    assert [m.text.splitlines()[0] for m in chat.messages("@bob")][-1].startswith(
        "📟 You are paged: 🧪 DRILL · P-1 · Sev2 · INC-1: look at checkout-api"
    )
    await chat.say("!drill join", user="erin", room=DRILL_ROOM)
    sent = await chat.say('!page @erin "join the bridge"', user="alice", room=DRILL_ROOM)
    assert any(m.text.startswith("P-2 is paging erin") for m in sent)

    # their e-mail rule (after 1 min) is never armed for a drill page; a real page arms it
    async def email_timers() -> int:
        async with chat.app.db.read() as conn:
            rows = await conn.execute(select(timers).where(timers.c.kind == "oncall.notify"))
            return len(rows.all())

    assert await email_timers() == 0
    await chat.say('!page @erin "real: disk full on db-3"', user="alice")
    assert await email_timers() == 1


async def test_a_practice_room_outlives_its_drill(
    chat_factory: Callable[..., Awaitable[Harness]],
) -> None:
    chat = await chat_factory()
    await chat.say("!drill start checkout-latency", user="dave")
    await chat.say("!drill stop --id 1", user="dave")
    answer = await chat.reply('!incident declare "Checkout degraded" --sev 1', user="alice", room=DRILL_ROOM)
    assert answer.startswith("🧪 DRILL · INC-1 declared")
    assert not any(m.text.startswith("📟") for m in chat.messages())


async def test_a_drill_page_typed_in_a_thread_of_the_drill_room_stays_in_chat(
    chat_factory: Callable[..., Awaitable[Harness]], chat_config: dict[str, Any]
) -> None:
    chat = await chat_factory(config=chat_config, capabilities=Capabilities(edits=True, threads=True))
    await chat.say("!drill start checkout-latency --with @erin", user="dave")
    sent = await chat.say('!page @erin "look at this"', user="alice", room=DRILL_ROOM, thread="side")
    assert any(
        m.text.startswith("P-1 is paging erin") and "A drill page: in chat only." in m.text for m in sent
    )
    assert [m.text for m in chat.messages("@erin")][-1].startswith("📟 You are paged: 🧪 DRILL · P-1")
    async with chat.app.db.read() as conn:
        rows = await conn.execute(select(timers).where(timers.c.kind == "oncall.notify"))
        assert rows.all() == []  # erin's e-mail rule is never armed


async def test_a_drill_runs_no_mitigation(
    chat_factory: Callable[..., Awaitable[Harness]], chat_config: dict[str, Any]
) -> None:
    actions = {"rollback": {"help": "roll back", "webhook": {"url": "http://127.0.0.1:9/rollback"}}}
    chat = await chat_factory(config={**chat_config, "mitigations": {"actions": actions}})
    await practice_incident(chat)
    refused = await chat.reply("!mitigate rollback", user="alice", room=INC_ROOM)
    assert refused == (
        "🧪 INC-1 is a drill: rollback would act on real systems, so it does not run. "
        'Say what you would do (!incident note "would run rollback") and go on as if it had.'
    )
    assert await chat.reply("!mitigate history", user="alice", room=INC_ROOM) == (
        "No mitigation has been asked for in INC-1."
    )


async def test_a_drill_and_a_real_incident_are_never_merged(chat: Harness) -> None:
    await practice_incident(chat)
    await chat.say('!incident declare "Real: disk full" --sev 2', user="bob")
    await chat.say("!incident role ic @alice --id 2", user="bob")  # alice commands both
    refused = await chat.reply("!incident merge INC-2", user="alice", room=INC_ROOM)
    assert refused.startswith("INC-1 is a drill and INC-2 is real: they are never one incident")
    refused = await chat.reply("!incident merge INC-1 --id 2", user="alice")
    assert refused.startswith("INC-1 is a drill and INC-2 is real")


async def test_a_drills_action_items_are_never_filed_in_the_tracker(
    chat_factory: Callable[..., Awaitable[Harness]], chat_config: dict[str, Any]
) -> None:
    tracker = {"token": "ghp-test", "repo": "acme/ops", "api_url": "http://127.0.0.1:9"}
    chat = await chat_factory(config={**chat_config, "trackers": {"github": tracker}})
    await practice_incident(chat)
    added = await chat.reply(
        "!action add Alert when checkout p99 is above 2 s for 5 minutes --owner @bob --due 2w",
        user="alice",
        room=INC_ROOM,
    )
    assert added.startswith("AI-1 added to INC-1")
    async with chat.app.db.read() as conn:
        assert (await conn.execute(select(deliveries))).all() == []

"""The status page: the Comms Lead's published words reach customers; nothing internal ever does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from chatops.testing import Harness
from chatops.web import build_web_app

ROOM = "inc-1-checkout-api-errors"
INTERNAL = ["connection pool exhaustion", "deploy 1234 by", "rollback plan B", "Checkout API errors"]


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return {
        "statuspage": {
            "name": "Example Status",
            "public_url": "https://status.example.org",
            "components": [
                {"id": "checkout", "name": "Checkout", "description": "Paying for orders"},
                {"id": "login", "name": "Login"},
            ],
        }
    }


@pytest_asyncio.fixture
async def web(chat: Harness) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        yield client


async def public(web: TestClient[Any, Any]) -> dict[str, str]:
    """Everything a customer (or a widget) can read."""
    paths = [
        "/status",
        "/status/history.atom",
        "/api/v2/summary.json",
        "/api/v2/status.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
    ]
    found = {}
    for path in paths:
        response = await web.get(path)
        assert response.status == 200, path
        found[path] = await response.text()
    return found


def never_internal(pages: dict[str, str]) -> None:
    for path, text in pages.items():
        for secret in INTERNAL:
            assert secret not in text, (path, secret)


async def test_a_sev2_tells_the_right_public_story_and_nothing_internal(
    chat: Harness, web: TestClient[Any, Any]
) -> None:
    say = lambda text, user="alice": chat.reply(text, user=user, room=ROOM)  # noqa: E731
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await say('!incident role "Comms Lead" @carol')
    await say("!incident note deploy 1234 by dave raised the connection count")
    await say("!incident hypothesis connection pool exhaustion")
    await say("!incident note if the rollback fails we use rollback plan B")
    assert (await public(web))["/api/v2/status.json"].count("All Systems Operational") == 1

    drafted = await say(
        '!statuspage draft "Some customers cannot complete checkout. We are investigating." '
        '--title "Checkout is degraded" --components checkout',
        user="carol",
    )
    assert drafted.startswith(
        "Draft for the status page (not published yet):\n“Checkout is degraded” "
        "[Investigating · major impact · Checkout: partial outage] "
        "Some customers cannot complete checkout. We are investigating."
    )
    assert "[Publish: !statuspage publish --id 1]" in drafted
    assert "All Systems Operational" in (await public(web))["/status"]  # a draft changes nothing public
    assert (
        "Only the Comms Lead (@carol), the Incident Commander (@alice) or an admin can publish"
        in await say("!statuspage publish", user="dave")
    )
    assert await say("!statuspage publish", user="carol") == (
        "Published to https://status.example.org: investigating — "
        "Some customers cannot complete checkout. We are investigating."
    )

    pages = await public(web)
    never_internal(pages)
    assert "Partial System Outage" in pages["/status"] and "Partial outage" in pages["/status"]
    assert "Some customers cannot complete checkout." in pages["/status/history.atom"]
    summary = await web.get("/api/v2/summary.json")
    document = await summary.json()
    assert document["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert [(c["id"], c["status"]) for c in document["components"]] == [
        ("checkout", "partial_outage"),
        ("login", "operational"),
    ]
    (current,) = document["incidents"]
    assert (current["name"], current["status"], current["impact"]) == (
        "Checkout is degraded",
        "investigating",
        "major",
    )
    assert (
        current["incident_updates"][0]["body"]
        == "Some customers cannot complete checkout. We are investigating."
    )

    refused = await say('!statuspage draft "All fixed." --status resolved', user="carol")
    assert refused.startswith(
        "The incident is investigating: the page says resolved only once the incident is resolved"
    )
    await chat.advance("10m")
    await say("!incident mitigated rolled back", user="alice")
    await say(
        '!statuspage draft "A fix is in place and we are monitoring." --status monitoring', user="carol"
    )
    await say("!statuspage publish", user="carol")
    await chat.advance("30m")
    await say("!incident resolve", user="alice")
    await say('!statuspage draft "Checkout is working normally again." --status resolved', user="carol")
    await say("!statuspage publish", user="carol")

    pages = await public(web)
    never_internal(pages)
    document = await (await web.get("/api/v2/incidents.json")).json()
    (story,) = document["incidents"]
    assert [u["status"] for u in story["incident_updates"]] == ["resolved", "monitoring", "investigating"]
    assert story["resolved_at"] is not None and story["monitoring_at"] is not None
    assert (await (await web.get("/api/v2/incidents/unresolved.json")).json())["incidents"] == []
    assert "All Systems Operational" in pages["/status"] and "Past incidents" in pages["/status"]
    assert "status page: resolved — Checkout is working normally again." in await say("!incident timeline")


async def test_the_json_has_statuspage_field_names_and_types(
    chat: Harness, web: TestClient[Any, Any]
) -> None:
    await chat.say('!incident declare "Login slow" --sev 3', user="alice")
    await chat.say(
        '!statuspage draft "Logins are slow." --title "Slow logins" --components login',
        user="alice",
        room="inc-1-login-slow",
    )
    await chat.say("!statuspage publish", user="alice", room="inc-1-login-slow")
    summary = await (await web.get("/api/v2/summary.json")).json()
    assert set(summary) == {"page", "status", "components", "incidents", "scheduled_maintenances"}
    assert set(summary["page"]) == {"id", "name", "url", "time_zone", "updated_at"}
    component = summary["components"][0]
    assert {
        "id",
        "name",
        "status",
        "created_at",
        "updated_at",
        "position",
        "description",
        "group_id",
        "page_id",
        "only_show_if_degraded",
    } <= set(component)
    assert isinstance(component["position"], int) and isinstance(component["only_show_if_degraded"], bool)
    incident = summary["incidents"][0]
    assert {
        "id",
        "name",
        "status",
        "created_at",
        "updated_at",
        "monitoring_at",
        "resolved_at",
        "impact",
        "shortlink",
        "page_id",
        "incident_updates",
        "components",
    } <= set(incident)
    update = incident["incident_updates"][0]
    assert {
        "id",
        "status",
        "body",
        "incident_id",
        "created_at",
        "updated_at",
        "display_at",
        "affected_components",
    } <= set(update)
    assert update["created_at"].endswith("Z") and incident["impact"] in ("none", "minor", "major", "critical")


async def test_private_incidents_reach_the_page_only_on_purpose(
    chat: Harness, web: TestClient[Any, Any]
) -> None:
    await chat.say('!incident declare "Payroll export leaked" --sev 2 --private', user="alice")
    room = "inc-1-payroll-export-leaked"
    await chat.say(
        '!statuspage draft "We are investigating an issue with payroll exports." --title "Payroll exports"',
        user="alice",
        room=room,
    )
    refused = await chat.reply("!statuspage publish", user="alice", room=room)
    assert refused.startswith(
        "This incident is private: it reaches the status page only when published on purpose"
    )
    assert "payroll" not in (await public(web))["/api/v2/incidents.json"].lower()
    await chat.say("!statuspage publish --private-ok", user="alice", room=room)
    assert "payroll exports" in (await public(web))["/api/v2/incidents.json"]


async def test_bad_drafts_are_refused_with_the_reason(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    for bad, answer in [
        ('!statuspage draft "x" --components payments', "unknown component(s) ['payments']"),
        ('!statuspage draft "x" --impact huge', "impact 'huge': use one of none, minor, major, critical"),
        ("!statuspage publish", "Nothing to publish: write it first"),
        ('!statuspage draft "Payments fail."', "The first public update needs a public title"),
    ]:
        assert answer in await chat.reply(bad, user="alice", room=ROOM), bad


async def test_stakeholders_hear_the_big_moments_and_a_silent_page_is_chased(chat_factory: Any) -> None:
    config = {"statuspage": {"stakeholder_room": "test:stakeholders", "update_every": {2: "1h"}}}
    chat: Harness = await chat_factory(config=config)
    say = lambda text, user="alice": chat.reply(text, user=user, room=ROOM)  # noqa: E731
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await say('!incident role "Comms Lead" @carol')
    sent = await chat.advance("1h")
    assert [m.text for m in sent if m.room == ROOM and "status page has not been updated" in m.text] == [
        "@carol The status page has not been updated for 1h (Sev2 cadence): !statuspage draft "
        '"<what customers should know>" then !statuspage publish'
    ]
    await say('!statuspage draft "Some payments fail." --title "Payments failing"', user="carol")
    await say("!statuspage publish", user="carol")
    assert not [m for m in await chat.advance("59m") if "status page has not been updated" in m.text]
    assert [m for m in await chat.advance("1m") if "status page has not been updated" in m.text]
    await say("!incident mitigated rolled back")
    await chat.advance("30m")
    await say("!incident resolve")
    assert not [m for m in await chat.advance("3h") if "status page has not been updated" in m.text]
    assert [m.text for m in chat.transport.sent if m.room == "stakeholders"] == [
        "🔴 Sev2 · INC-1 · Checkout API errors: declared. Impact is being assessed; updates follow.",
        "🟡 Sev2 · INC-1 · Checkout API errors: mitigated; impact has stopped and we are monitoring.",
        "🟢 Sev2 · INC-1 · Checkout API errors: resolved.",
    ]


async def test_maintenance_is_announced_started_and_completed_on_time(chat_factory: Any) -> None:
    config = {
        "statuspage": {"components": [{"id": "checkout", "name": "Checkout"}]},
        "admins": ["test:alice"],
    }
    chat: Harness = await chat_factory(config=config)
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        say = lambda text: chat.reply(text, user="alice")  # noqa: E731
        for bad, answer in [
            (
                '!maintenance schedule "DB upgrade" --start "2026-03-01 10:00" --end 1h',
                "--start must be in the future",
            ),
            ('!maintenance schedule "DB upgrade" --start "in 1h"', "A maintenance needs a window"),
            ('!maintenance schedule "DB upgrade" --start "in 2h" --end "in 1h"', "ends before it starts"),
            ("!maintenance cancel M-7", "There is no maintenance M-7."),
        ]:
            assert answer in await say(bad), bad
        assert "Only an admin can" in await chat.reply(
            '!maintenance schedule "x" --start "in 1h" --end 1h', user="mallory"
        )
        answer = await say(
            '!maintenance schedule "Database upgrade" --start "in 1h" --end 30m --components checkout'
        )
        assert answer == "M-1 announced on the status page: Database upgrade, from 15:00 UTC to 15:30 UTC."
        document = await (await client.get("/api/v2/summary.json")).json()
        (work,) = document["scheduled_maintenances"]
        assert (work["status"], work["scheduled_for"]) == ("scheduled", "2026-03-02T15:00:00.000Z")
        assert document["status"]["indicator"] == "none"

        await chat.advance("1h")
        document = await (await client.get("/api/v2/summary.json")).json()
        assert document["status"] == {"indicator": "maintenance", "description": "Service Under Maintenance"}
        assert document["components"][0]["status"] == "under_maintenance"
        assert "Scheduled maintenance" in await (await client.get("/status")).text()

        await chat.advance("30m")
        document = await (await client.get("/api/v2/summary.json")).json()
        assert (
            document["scheduled_maintenances"] == [] and document["components"][0]["status"] == "operational"
        )
        everything = await (await client.get("/api/v2/scheduled-maintenances.json")).json()
        assert [u["status"] for u in everything["scheduled_maintenances"][0]["incident_updates"]] == [
            "completed",
            "in_progress",
            "scheduled",
        ]
        assert "Database upgrade is complete." in await (await client.get("/status/history.atom")).text()


async def test_a_component_shows_the_worst_of_the_open_incidents_touching_it(
    chat: Harness, web: TestClient[Any, Any]
) -> None:
    rooms = ("inc-1-checkout-api-errors", "inc-2-card-payments-declined")
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await chat.say('!incident declare "Card payments declined" --sev 1', user="alice")
    for room, title, impact in zip(
        rooms, ("Checkout slow", "Payments down"), ("minor", "critical"), strict=True
    ):
        await chat.say(
            f'!statuspage draft "x" --title "{title}" --components checkout --impact {impact}',
            user="alice",
            room=room,
        )
        await chat.say("!statuspage publish", user="alice", room=room)
    state = lambda document: document["components"][0]["status"]  # noqa: E731
    assert state(await (await web.get("/api/v2/summary.json")).json()) == "major_outage"
    await chat.advance("1m")
    await chat.say("!incident mitigated", user="alice", room=rooms[1])
    await chat.advance("1h")
    await chat.say("!incident resolve", user="alice", room=rooms[1])
    await chat.say('!statuspage draft "Payments work again." --status resolved', user="alice", room=rooms[1])
    await chat.say("!statuspage publish", user="alice", room=rooms[1])
    assert (
        state(await (await web.get("/api/v2/summary.json")).json()) == "degraded_performance"
    )  # the other is open

    sent = await chat.say('!incident reopen "declines are back"', user="alice", room=rooms[1])
    assert any(m.text.startswith("⚠️ INC-2 is open again but the status page says resolved") for m in sent)

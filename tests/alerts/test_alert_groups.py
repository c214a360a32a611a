"""Alert groups: one per problem, paged once, resolved when its alerts are, held while it flaps."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from conftest import ALERTING, Poster, payload

from chatops.testing import Harness
from chatops.web import build_web_app
from chatops_plugins.alerts import actions
from chatops_plugins.incident import store as incidents


async def group(chat: Harness, group_id: int) -> dict:
    async with chat.app.db.read() as conn:
        found = await actions.get(conn, group_id)
    assert found is not None
    return found


async def test_a_firing_alert_opens_a_group_that_pages_once_and_resolves(chat: Harness, post: Poster) -> None:
    status, answer = await post.prom(payload("alertmanager_firing"))
    assert (status, answer) == (200, {"stored": True, "groups": ["A-1"]})
    (posted,) = post.messages("ops")
    assert posted.startswith(
        "🔥 A-1 · Sev2 · checkout · DiskFull: disk 95% full\n1 firing · since 14:55 CET\n"
    )
    assert "📟 P-1 paging @bob (step 1/2, policy default)." in posted
    assert "🔥 instance=db1:9100 — disk 95% full (since 14:55 CET)" in posted
    assert "[Acknowledge: !alert ack A-1]  [Resolve: !alert resolve A-1]" in posted
    assert [t.splitlines()[0] for t in post.messages("@bob")] == [
        "📟 You are paged: P-1 · Sev2: A-1 DiskFull: disk 95% full"
    ]

    # Alertmanager repeats the notification: stored, counted, nobody paged again
    assert (await post.prom(payload("alertmanager_firing")))[0] == 200
    assert len(post.messages("@bob")) == 1 and len(post.messages("ops")) == 1
    assert (await group(chat, 1))["notifications"] == 2

    resolved = payload("alertmanager_firing", status="resolved", endsAt="2026-03-02T14:01:00Z")
    resolved["alerts"][0]["status"] = "resolved"
    assert (await post.prom(resolved))[1] == {"stored": True, "groups": ["A-1"]}
    assert post.edits()[-1].startswith(
        "〰️ A-1 · Sev2 · checkout · DiskFull: disk 95% full\n0 firing, 1 resolved"
    )
    assert "all resolved; held in case it flaps" in post.edits()[-1]

    await chat.advance("5m")  # the flap window passes: resolved, and its page stops
    await post.settled()
    final = [e for e in post.edits() if e.startswith("✅ A-1")]
    assert final and "resolved at 15:01 CET after 6 min" in final[-1]
    assert "[Acknowledge" not in final[-1]
    assert any(e.startswith("⏹️ P-1 stopped: alert A-1 resolved") for e in post.edits())
    assert await chat.reply("!ack P-1", user="bob") == "P-1 was stopped: what it paged about is over."
    assert await chat.reply("!alerts", user="bob") == "No alert groups are open."


async def test_firing_again_within_the_hold_is_a_flap_not_a_new_page(chat: Harness, post: Poster) -> None:
    firing = payload("alertmanager_firing")
    resolved = payload("alertmanager_firing", status="resolved")
    resolved["alerts"][0]["status"] = "resolved"
    again = payload("alertmanager_firing", startsAt="2026-03-02T14:00:01Z")  # a new firing begins
    for body in (firing, resolved, again):
        await post.prom(body)
    held = await group(chat, 1)
    assert (held["status"], held["flaps"], held["firing"]) == ("firing", 1, 1)
    assert "flapping: fired again 1 time within the hold" in post.edits()[-1]
    assert len(post.messages("@bob")) == 1

    await chat.advance("10m")  # still firing: the hold was cancelled, nothing resolves
    assert (await group(chat, 1))["status"] == "firing"

    await post.prom(resolved)
    await chat.advance("6m")
    assert (await group(chat, 1))["status"] == "resolved"
    _, answer = await post.prom(again)  # after the hold: a new problem, paged anew
    assert answer["groups"] == ["A-2"] and len(post.messages("@bob")) == 2


async def test_a_route_can_group_by_its_own_labels(chat: Harness, post: Poster) -> None:
    body = payload("alertmanager_firing")
    template = body["alerts"][0]
    body["alerts"] = [
        {
            **template,
            "labels": {"alertname": "NodeDown", "cluster": cluster, "instance": node},
            "fingerprint": node,
        }
        for cluster, node in [("eu", "n1"), ("eu", "n2"), ("us", "n3")]
    ]
    assert (await post.prom(body))[1]["groups"] == ["A-1", "A-2"]
    assert [(g["alerts"], g["group_key"]) for g in [await group(chat, 1), await group(chat, 2)]] == [
        (2, "prom:alertname=NodeDown,cluster=eu"),
        (1, "prom:alertname=NodeDown,cluster=us"),
    ]


async def test_a_late_retry_of_an_ended_firing_changes_nothing(chat: Harness, post: Poster) -> None:
    resolved = payload("alertmanager_firing", status="resolved", endsAt="2026-03-02T14:01:00Z")
    resolved["alerts"][0]["status"] = "resolved"
    await post.prom(payload("alertmanager_firing"))
    await post.prom(resolved)
    await post.prom(payload("alertmanager_firing"))  # the same firing (began 13:55), delivered again late
    held = await group(chat, 1)
    assert (held["status"], held["firing"], held["flaps"]) == ("resolving", 0, 0)
    assert len(post.messages("@bob")) == 1


async def test_a_ticket_only_alert_is_shown_and_pages_no_one(chat: Harness, post: Poster) -> None:
    body = payload("alertmanager_firing", labels={"alertname": "CertExpiring", "service": "checkout"})
    body["groupKey"] = '{}:{alertname="CertExpiring"}'
    await post.prom(body)
    (posted,) = post.messages("ops")
    assert "Ticket only: recorded, pages no one." in posted and "[Acknowledge" not in posted
    assert not post.messages("@bob")


async def test_alerts_no_route_places_go_to_the_default_room_unpaged(chat: Harness, post: Poster) -> None:
    body = payload("alertmanager_firing", labels={"alertname": "Weird", "severity": "warning"})
    body["groupKey"] = '{}:{alertname="Weird"}'
    await post.prom(body)
    (posted,) = post.messages("alerts")
    assert posted.startswith("🔥 A-1 · Sev3 · Weird: disk 95% full")
    assert "Paging" not in posted and not post.messages("@bob")


async def test_acknowledging_the_group_stops_its_page_and_shows_who(chat: Harness, post: Poster) -> None:
    await post.prom(payload("alertmanager_firing"))
    assert await chat.reply("!alert ack A-1", user="bob") == "Acknowledged A-1 and its page P-1."
    await post.settled()
    assert "👀 Acknowledged by @bob at 15:00 CET." in post.edits()[-1]
    assert "[Acknowledge" not in post.edits()[-1]
    assert any(e.startswith("✅ P-1 acknowledged by @bob") for e in post.edits())
    assert "already acknowledged by @bob" in await chat.reply("!alert ack A-1", user="alice")
    assert not [m for m in await chat.advance("10m") if m.room == "@carol"]  # the escalation stopped


async def test_acking_the_page_directly_marks_the_group(chat: Harness, post: Poster) -> None:
    await post.prom(payload("alertmanager_firing"))
    assert await chat.reply("!ack", user="bob") == "Acknowledged P-1: escalation stopped."
    await post.settled()
    assert (await group(chat, 1))["acked_by"] == "bob"
    assert "👀 Acknowledged by @bob" in post.edits()[-1]


async def test_declaring_from_a_group_measures_time_to_detect(chat: Harness, post: Poster) -> None:
    await chat.advance("3m")  # the notification arrives at 15:03 CET; the alert began 14:55
    await post.prom(payload("alertmanager_firing"))
    answer = await chat.reply("!alert declare A-1", user="alice")
    assert answer.startswith('INC-1 declared from A-1 · Sev2 · "DiskFull: disk 95% full"\n')
    assert "Impact began 14:55 CET (first alert); detected 15:03 CET (first notification)." in answer
    async with chat.app.db.read() as conn:
        incident = await incidents.get(conn, 1)
        timeline = [str(e.data().get("text")) for e in await incidents.timeline(conn, 1)]
    assert incident is not None and incident.services == ("checkout",)
    assert (incident.detected_at - incident.started_at).total_seconds() == 8 * 60  # type: ignore[operator]
    assert any(t.startswith("Alert group A-1 linked: DiskFull") for t in timeline)
    assert len(post.messages("@bob")) == 1  # the declaration does not page again
    assert "already belongs to INC-1" in await chat.reply("!alert declare A-1", user="alice")
    await chat.advance("2m")
    assert await chat.reply("!ack", user="bob") == "Acknowledged P-1: escalation stopped."
    metrics = await chat.reply("!metrics", user="alice")  # the alert's page counts for the incident
    assert "MTTD (started → detected): 8 min over 1 incident(s)" in metrics
    assert "MTTA (paged → acknowledged): 2 min over 1 incident(s)" in metrics


async def test_a_route_can_declare_an_incident_on_its_own(chat: Harness, post: Poster) -> None:
    body = payload("alertmanager_firing", labels={"alertname": "SiteDown", "service": "web"})
    body["groupKey"] = '{}:{alertname="SiteDown"}'
    await post.prom(body)
    async with chat.app.db.read() as conn:
        incident = await incidents.get(conn, 1)
    assert incident is not None and incident.severity == 1 and incident.declared_by == "alerts"
    assert incident.room_id == "test:inc-1-sitedown-disk-95-full"
    assert "Incident: INC-1." in post.messages("ops")[0]
    assert len(post.messages("@bob")) == 1  # paged once, by the alert's policy


async def test_bad_group_references_are_answered(chat: Harness, post: Poster) -> None:
    for command, answer in [
        ("!alert ack A-9", "There is no alert group A-9. Open ones: !alerts"),
        ("!alert resolve x", "'x' is not an alert group (use A-3 or 3)"),
    ]:
        assert answer in await chat.reply(command, user="bob")
    assert "Only the people in the on-call config" in await chat.reply("!alert ack A-1", user="mallory")
    await post.prom(payload("alertmanager_firing"))
    assert (await chat.reply("!alert resolve A-1", user="bob")).startswith(
        "Resolved A-1. 1 of its alerts still fire at the source: when it repeats them, a new group opens"
    )
    assert "A-1 is already resolved." in await chat.reply("!alert resolve 1", user="bob")


async def test_a_message_sent_late_is_brought_up_to_date(
    chat: Harness, post: Poster, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*args: Any) -> None:
        raise ConnectionError("the platform is down")

    monkeypatch.setattr(chat.transport, "send", down)  # the platform refuses everything for a while
    await post.prom(payload("alertmanager_firing"))
    resolved = payload("alertmanager_firing", status="resolved")
    resolved["alerts"][0]["status"] = "resolved"
    await post.prom(resolved)  # the group changed while its first message waits in the outbox
    monkeypatch.undo()
    await chat.app.outbound.deliver_pending()  # the platform is back: the outbox delivers
    await post.settled()
    (posted,) = post.messages("ops")
    assert posted.startswith("🔥 A-1")  # what was queued at the time
    assert post.edits()[-1].startswith("〰️ A-1")  # …edited to the group's state once it was out


async def test_a_policy_that_does_not_exist_is_shown_on_the_group(chat_factory: Any) -> None:
    config = copy.deepcopy(ALERTING)
    config["alerts"]["services"]["checkout"]["policy"] = "nosuch"
    chat = await chat_factory(config=config)
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        await Poster(chat, client).prom(payload("alertmanager_firing"))
    (posted,) = [m.text for m in chat.transport.sent if m.room == "ops"]
    assert "⚠️ Nobody paged: there is no escalation policy 'nosuch' in oncall.policies." in posted

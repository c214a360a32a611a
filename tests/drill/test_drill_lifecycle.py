"""Starting, pausing, resuming, stopping and restarting drills; who leads them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from chatops import Capabilities
from chatops.testing import Harness

ROOM = "drill-1-certificate-expiry"
# certificate-expiry: alert 0m, support 1m, page (ic) 2m, red herring 5m, worse 8m, note 10m


def injects(chat: Harness, room: str = ROOM) -> list[str]:
    """Each inject's opening words, in the order they played."""
    return [m.text.split(":", 1)[0] for m in chat.messages(room) if m.text.startswith("🧪 DRILL · ")]


def kinds(chat: Harness, room: str = ROOM) -> list[str]:
    found = []
    for m in chat.messages(room):
        if m.text.startswith("🧪 DRILL · ") and not m.text.startswith("🧪 DRILL · Every"):
            found.append(m.text.removeprefix("🧪 DRILL · ").split(":", 1)[0])
        elif "paged (step 1/1, round 1/" in m.text:  # its first round (unacknowledged, it pages again)
            found.append("page")
    return found


async def test_injects_play_at_their_times(chat: Harness) -> None:
    await chat.say("!drill start certificate-expiry", user="dave")
    await chat.advance("0s")
    assert kinds(chat) == ["🚨 Alert"]
    await chat.advance("1m59s")
    assert kinds(chat) == ["🚨 Alert", "🎧 Support ticket"]
    await chat.advance("1s")  # 2m: the page
    assert kinds(chat) == ["🚨 Alert", "🎧 Support ticket", "page"]


async def test_a_restart_mid_drill_loses_and_repeats_no_inject(chat: Harness) -> None:
    await chat.say("!drill start certificate-expiry", user="dave")
    await chat.advance("3m")  # alert, support, page played
    before = kinds(chat)
    chat = await chat.restart()
    await chat.advance("20m")
    assert before + kinds(chat) == [
        "🚨 Alert",
        "🎧 Support ticket",
        "page",
        "👀 Also seen",
        "📈 Getting worse",
        "📝 Facilitator",
    ]
    status = await chat.reply("!drill status", room=ROOM)
    assert "Injects: 6 of 6 played" in status


async def test_pause_and_resume_shift_what_is_left_by_the_pause(chat: Harness) -> None:
    await chat.say("!drill start certificate-expiry", user="dave")
    await chat.advance("3m")  # 14:03: alert, support and page played
    paused = await chat.reply("!drill pause", user="dave", room=ROOM)
    assert paused.startswith("⏸️ 🧪 DRILL-1 paused")
    assert "Injects: 3 of 6 played, next 2 min after !drill resume" in await chat.reply(
        "!drill status", room=ROOM
    )
    await chat.advance("10m")  # 14:13: nothing plays while paused (the red herring was due 14:05)
    assert len(kinds(chat)) == 3
    resumed = await chat.reply("!drill resume", user="dave", room=ROOM)
    assert resumed.startswith("▶️ 🧪 DRILL-1 resumed after 10 min")
    assert "next 14:15 UTC (in 2 min)" in await chat.reply("!drill status", room=ROOM)
    await chat.advance("1m59s")
    assert len(kinds(chat)) == 3
    await chat.advance("1s")  # 14:15 = 14:05 + the 10 min pause
    assert kinds(chat)[-1] == "👀 Also seen"
    await chat.advance("3m")  # the worse inject: 8m + 10 min paused = 14:18
    assert kinds(chat)[-1] == "📈 Getting worse"
    assert "is paused" not in await chat.reply("!drill pause --id 1", user="dave")
    # pausing twice, or resuming a running drill, is refused with the reason
    assert (
        await chat.reply("!drill pause --id 1", user="dave")
        == "DRILL-1 is paused, not running; nothing to pause."
    )
    await chat.say("!drill resume --id 1", user="dave")
    assert await chat.reply("!drill resume --id 1", user="dave") == "DRILL-1 is running, not paused."


async def test_stop_ends_early_with_a_debrief_and_no_more_injects(chat: Harness) -> None:
    await chat.say("!drill start certificate-expiry", user="dave")
    await chat.advance("3m")
    await chat.say("!drill pause", user="dave", room=ROOM)
    await chat.advance("5m")
    answer = await chat.reply("!drill stop --id 1", user="dave")
    assert answer == "⏹️ 🧪 DRILL-1 stopped; its debrief is in drill-1-certificate-expiry (!drill debrief 1)."
    debrief = await chat.reply("!drill debrief 1")
    assert "ended 14:08 (stopped by @dave) · 3 min of drill time, not counting 5 min paused" in debrief
    assert "- **Time to acknowledge the page (@alice)**: not acknowledged ❌" in debrief
    assert "- **Time to declare**: no incident was declared ❌" in debrief
    assert debrief in [m.text for m in chat.messages(ROOM)]
    before = len(chat.messages(ROOM))
    await chat.advance("1h")
    assert not any(m.text.startswith("🧪 DRILL ·") for m in chat.messages(ROOM)[before:])
    assert await chat.reply("!drill stop --id 1", user="dave") == (
        "DRILL-1 has ended already; its debrief: !drill debrief 1"
    )


async def test_only_responders_run_drills_and_mistakes_get_usable_answers(chat: Harness) -> None:
    refused = await chat.reply("!drill start certificate-expiry", user="mallory")
    assert refused.startswith("Only ")
    assert await chat.reply("!drill start nothing-like-it", user="dave") == (
        "No drill scenario 'nothing-like-it'. Scenarios: certificate-expiry, checkout-latency, database-failover."
    )
    assert (await chat.reply("!drill status")).startswith(
        "Which drill? Run this in the drill's room or add --id <n>"
    )
    assert (await chat.reply("!drill status --id 7")).startswith("No drill DRILL-7.")
    assert "not a drill" in await chat.reply("!drill status --id seven")
    assert (await chat.reply("!drill debrief 1")).startswith("No drill DRILL-1.")
    assert (await chat.reply("!drill start checkout-latency --ic @mallory", user="dave")).startswith(
        "--ic: @mallory is not in oncall.people, so a drill cannot page them (people: @alice, @bob, @carol,"
    )


async def test_the_ic_rotates_through_the_pool_least_recently_led_first(chat: Harness) -> None:
    # the pool is oncall.ic_schedule's people in order: alice, carol, bob
    pool = await chat.reply("!drill pool")
    assert pool.splitlines()[:2] == [
        "Drill IC rotation (the people of oncall.ic_schedule (commanders)), least recently led first:",
        "→ next  @alice (never led a drill)",
    ]
    first = await chat.reply("!drill start checkout-latency", user="dave")
    assert "Incident Commander @alice (next in the drill IC rotation" in first
    await chat.say("!drill stop --id 1", user="dave")
    # --ic overrides the rotation; whoever leads counts as having led
    await chat.advance("1h")
    second = await chat.reply("!drill start checkout-latency --ic @bob", user="dave")
    assert "Incident Commander @bob (named with --ic)" in second
    await chat.say("!drill stop --id 2", user="dave")
    await chat.advance("1h")
    third = await chat.reply("!drill start database-failover", user="dave")
    assert (
        "Incident Commander @carol (next in the drill IC rotation" in third
    )  # never led: before alice and bob
    assert (
        "🎖️ @carol, you are the Incident Commander of DRILL-3"
        in [m.text.splitlines()[0] for m in chat.messages("drill-3-database-failover")][1]
    )
    await chat.say("!drill stop --id 3", user="dave")
    pool = await chat.reply("!drill pool")
    assert [line.split(" (")[0] for line in pool.splitlines()[1:]] == [
        "→ next  @alice",
        "  then  @bob",
        "  then  @carol",
    ]


async def test_the_pool_can_be_configured_and_is_reported_when_missing(
    chat_factory: Callable[..., Awaitable[Harness]], chat_config: dict[str, Any]
) -> None:
    TEAM = chat_config
    configured = {**TEAM, "drill": {**TEAM["drill"], "ic_pool": ["bob", "erin", "zed"]}}
    chat = await chat_factory(config=configured)
    pool = await chat.reply("!drill pool")
    assert pool.splitlines()[0] == "Drill IC rotation (drill.ic_pool), least recently led first:"
    assert pool.splitlines()[1] == "→ next  @bob (never led a drill)"
    assert pool.splitlines()[-1] == "⚠️ Left out, not in oncall.people: zed"
    await chat.close()

    without = {**TEAM, "oncall": {**TEAM["oncall"], "ic_schedule": None, "page_ic_for": []}}
    chat = await chat_factory(config=without)
    assert (await chat.reply("!drill start checkout-latency", user="dave")).startswith(
        "No IC pool: set drill.ic_pool"
    )
    assert "Incident Commander @erin" in await chat.reply(
        "!drill start checkout-latency --ic @erin", user="dave"
    )


async def test_others_join_and_the_briefing_names_everyone(chat: Harness) -> None:
    await chat.say("!drill start certificate-expiry --with @bob", user="dave")
    assert chat.transport.invited[ROOM] == ["test:dave", "test:alice", "test:bob"]
    assert await chat.reply("!drill join", user="erin", room=ROOM) == (
        "@erin takes part in DRILL-1: drill pages can reach you (in chat only)."
    )
    assert await chat.reply("!drill join", user="erin", room=ROOM) == "You take part in DRILL-1 already."
    assert "Taking part: @dave, @alice, @bob, @erin" in await chat.reply("!drill status", room=ROOM)


async def test_chatops_report_drills_keeps_every_debrief(chat: Harness) -> None:
    import json

    from chatops_plugins.drill import drills_report

    assert await drills_report(chat.app, None, "md", None) == "No drill has ended yet.\n"
    await chat.say("!drill start certificate-expiry", user="dave")
    await chat.advance("3m")
    await chat.say("!drill stop", user="dave", room=ROOM)
    markdown = await drills_report(chat.app, None, "md", None)
    assert markdown == await chat.reply("!drill debrief 1")
    assert markdown.startswith("# Debrief — DRILL-1 · API certificate expired; the mobile app cannot connect")
    document = json.loads(await drills_report(chat.app, None, "json", None))
    assert [(d["ref"], d["scenario"], d["ended_how"]) for d in document["drills"]] == [
        ("DRILL-1", "certificate-expiry", "stopped")
    ]


async def test_a_sev3_practice_incident_in_a_thread_of_the_drill_room_is_the_drills(
    chat_factory: Callable[..., Awaitable[Harness]],
) -> None:
    chat = await chat_factory(capabilities=Capabilities(edits=True, threads=True))
    await chat.say("!drill start checkout-latency", user="dave")
    room = "drill-1-checkout-latency"
    sent = await chat.say('!incident declare "Checkout slow" --sev 3', user="alice", room=room)
    assert any(m.text.startswith('🧪 DRILL · INC-1 declared · Sev3 · "Checkout slow"') for m in sent)
    [root] = [
        ref
        for m, ref in zip(chat.transport.sent, chat.transport.refs, strict=True)
        if m.room == room and m.text.startswith("🧪 DRILL · INC-1 · Sev3")
    ]
    later = await chat.advance("6m")  # injects now play in the practice incident's thread too
    in_thread = [m.text for m in later if m.thread is not None and m.thread.id == root]
    assert (
        "🧪 DRILL · 👀 Also seen: payments-db CPU at 71 % (its usual afternoon peak is 65 to 75 %)"
        in in_thread
    )
    await chat.say('!incident resolve --force "practice over"', user="alice", room=room, thread=root)
    assert (await chat.reply("!drill status --id 1")).startswith(
        "🧪 DRILL-1 · checkout-latency · ended (resolved)"
    )

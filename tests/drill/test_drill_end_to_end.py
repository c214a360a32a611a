"""A shipped scenario, run end to end under the fake clock, measured by its debrief.

The story (the harness starts at 14:00 UTC; dave facilitates, alice is next in the IC pool):

  14:00     dave starts checkout-latency; the alert inject plays (0m)
  14:01     the page inject pages the IC, alice (P-1)
  14:02:30  alice acknowledges P-1                        → time to acknowledge 1 min 30 s
  14:03     the support inject plays
  14:04     alice declares INC-1 (Sev2) in the drill room → 4 min from the start and from the alert;
            alice is IC at the declaration
  14:05     the red herring plays, in both rooms now
  14:06     alice names bob Tech Lead                     → 2 min after the declaration
  14:08     alice names carol Comms Lead                  → 4 min after the declaration
  14:10     alice posts the first update                  → 6 min after the declaration; on time
                                                            (Sev2 cadence: every 30 min)
  14:15     bob marks it identified; 14:20 mitigated      → diagnosed before mitigated: not mitigation-first
  14:45     alice posts the second update                 → 35 min after the first: 5 min late
  14:50     alice resolves (Sev2's monitoring window is 30 min) → the debrief
            cadence: kept 1 of 2 (the 5 min from 14:45 to the end is within the cadence)
            severity: declared Sev2, the scenario intends Sev2 → matched
"""

from __future__ import annotations

from chatops.testing import Harness

DRILL_ROOM = "drill-1-checkout-latency"
INC_ROOM = "inc-1-checkout-slow-and-failing"


def texts(chat: Harness, room: str) -> list[str]:
    return [m.text for m in chat.messages(room)]


async def test_a_drill_from_start_to_debrief(chat: Harness) -> None:
    started = await chat.reply("!drill start checkout-latency", user="dave")
    assert started.startswith(
        "🧪 DRILL-1 started: “Checkout latency after a bad deploy” in drill-1-checkout-latency · "
        "Incident Commander @alice (next in the drill IC rotation: !drill pool) · 7 injects over 15 min."
    )
    assert chat.transport.invited[DRILL_ROOM] == ["test:dave", "test:alice"]
    assert chat.transport.topic(DRILL_ROOM).startswith("🧪 DRILL · practice, nothing here is real · DRILL-1")
    room = texts(chat, DRILL_ROOM)
    assert room[0].startswith("🧪 DRILL — practice, nothing here is real.")
    assert room[1].startswith("🎖️ @alice, you are the Incident Commander of DRILL-1")

    # 14:00 and 14:01: the alert, then the page to the IC (in chat only)
    await chat.advance("0s")
    assert texts(chat, DRILL_ROOM)[-1] == (
        "🧪 DRILL · 🚨 Alert: checkout-api p99 latency 4.2 s (SLO 800 ms) for 5 min; error rate 3.1 %"
    )
    sent = await chat.advance("1m")
    [dm] = [m.text for m in sent if m.room == "@alice"]
    assert dm.startswith("📟 You are paged: 🧪 DRILL · P-1: checkout-api latency SLO burning at 14x")
    assert any(m.room == DRILL_ROOM and "paged" in m.text and "P-1" in m.text for m in sent)

    await chat.advance("90s")  # 14:02:30
    assert (
        await chat.reply("!ack P-1", user="alice", room=DRILL_ROOM) == "Acknowledged P-1: escalation stopped."
    )
    await chat.advance("30s")  # 14:03: the support inject
    assert texts(chat, DRILL_ROOM)[-1].startswith("🧪 DRILL · 🎧 Support ticket: 12 tickets in 10 minutes")

    # 14:04: declared in the drill room: a practice incident, paging nobody real
    await chat.advance("1m")
    sent = await chat.say(
        '!incident declare "Checkout slow and failing" --sev 2', user="alice", room=DRILL_ROOM
    )
    assert any(
        m.text.startswith('🧪 DRILL · INC-1 declared · Sev2 · "Checkout slow and failing"') for m in sent
    )
    assert not any(m.text.startswith("📟") for m in sent)  # neither the Sev2 policy (erin) nor carol on duty
    assert not any("Incident Commander on duty" in m.text for m in sent)
    assert chat.transport.topic(INC_ROOM).startswith("🧪 DRILL · INC-1 · Sev2 · investigating")
    assert any(
        t.startswith("🧪 DRILL · INC-1 is DRILL-1's practice incident") for t in texts(chat, DRILL_ROOM)
    )

    await chat.advance("1m")  # 14:05: the red herring plays in both rooms
    herring = "🧪 DRILL · 👀 Also seen: payments-db CPU at 71 % (its usual afternoon peak is 65 to 75 %)"
    assert herring in texts(chat, DRILL_ROOM) and herring in texts(chat, INC_ROOM)

    await chat.advance("1m")  # 14:06
    await chat.say("!incident role tech-lead @bob", user="alice", room=INC_ROOM)
    await chat.advance("2m")  # 14:08
    await chat.say("!incident role comms-lead @carol", user="alice", room=INC_ROOM)
    await chat.advance("2m")  # 14:10
    await chat.say(
        '!incident update "checkout slow for everyone — rolling back — next 14:40"',
        user="alice",
        room=INC_ROOM,
    )
    await chat.advance("5m")  # 14:15
    await chat.say('!incident identified "v2.31.0 pricing: N+1 query"', user="bob", room=INC_ROOM)
    await chat.advance("5m")  # 14:20
    await chat.say('!incident mitigated "rolled back to v2.30.4"', user="bob", room=INC_ROOM)
    await chat.advance("25m")  # 14:45
    await chat.say('!incident update "checkout normal — mitigated — monitoring"', user="alice", room=INC_ROOM)
    await chat.advance("5m")  # 14:50
    await chat.say("!incident resolve", user="alice", room=INC_ROOM)

    debrief = await chat.reply("!drill debrief 1")
    assert debrief in texts(chat, DRILL_ROOM) and debrief in texts(chat, INC_ROOM)
    lines = debrief.splitlines()
    assert lines[0] == "# Debrief — DRILL-1 · Checkout latency after a bad deploy"
    assert lines[3] == (
        "Scenario `checkout-latency` · started 14:00 UTC by @dave · Incident Commander @alice · "
        "ended 14:50 (the practice incident INC-1 was resolved) · 50 min of drill time · practice incident INC-1"
    )
    figures = [line for line in lines if line.startswith("- ")]
    assert figures == [
        "- **Time to acknowledge the page (@alice)**: 1 min 30 s",
        "- **Time to declare**: 4 min from the start, 4 min from the first alert",
        "- **Time to assign the Incident Commander**: at the declaration ✅",
        "- **Time to assign the Tech Lead**: 2 min after the declaration ✅",
        "- **Time to assign the Comms Lead**: 4 min after the declaration ✅",
        "- **Time to first update**: 6 min after the declaration",
        "- **Update cadence**: kept 1 of 2 ❌",
        "- **Severity**: declared Sev2, intended Sev2: matched ✅",
        "- **Mitigation before diagnosis**: no: the cause was identified first, mitigated 5 min later ❌",
    ]
    # each figure with the events that decided it: time, what, who
    assert "  - 14:01 paged (P-1): checkout-api latency SLO burning at 14x · @alice" in lines
    assert "  - 14:02:30 acknowledged P-1 · @alice" in lines
    assert (
        "  - 14:00 first alert: checkout-api p99 latency 4.2 s (SLO 800 ms) for 5 min; error rate 3.1 %"
        in lines
    )
    assert "  - 14:04 declared INC-1 as Sev2: “Checkout slow and failing” · @alice" in lines
    assert "  - 14:06 @bob became Tech Lead · @alice" in lines
    assert "  - 6 min after the previous (cadence every 30 min): on time" in lines
    assert "  - 35 min after the previous (cadence every 30 min): 5 min late" in lines
    assert "  - 14:15 identified: v2.31.0 pricing: N+1 query · @bob" in lines
    assert "  - 14:20 mitigated: rolled back to v2.30.4 · @bob" in lines

    # over: no inject plays any more, and the drill says so
    assert (await chat.reply("!drill status --id 1")).startswith(
        "🧪 DRILL-1 · checkout-latency · ended (resolved)"
    )
    later = await chat.advance("1h")
    assert not any(m.text.startswith("🧪 DRILL ·") for m in later)

"""A drill's clock: injects as durable timers, pause and resume, and the end with its debrief.

Every inject is a timer row armed when the drill starts (due at the start
plus its ``at`` plus every pause so far), and is recorded as played in the
drill's stream in the same write that plays it: a restart neither loses nor
repeats one.  A pause cancels the timers of what has not played; resume
arms them again, shifted by the pause.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chatops import events as event_log
from chatops.models.content import Content, Mention, Text
from chatops.scheduler import Timer
from chatops_plugins.drill import debrief, facts, store
from chatops_plugins.drill.events import DrillEnded, DrillPaused, DrillResumed, InjectPlayed, stream_of
from chatops_plugins.drill.scenario import Inject
from chatops_plugins.incident import store as incidents
from chatops_plugins.oncall import paging, people
from chatops_plugins.oncall.policy import direct

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

INJECT = "drill.inject"
MARK = "🧪 DRILL"
LOOKS = {
    "alert": "🚨 Alert",
    "support": "🎧 Support ticket",
    "worse": "📈 Getting worse",
    "red_herring": "👀 Also seen",  # looks like any other signal: telling it apart is the exercise
    "note": "📝 Facilitator",
}


def key(drill_id: int, index: int) -> str:
    return f"drill:{drill_id}:inject:{index}"


def due(drill: store.Drill, inject: Inject) -> datetime:
    return drill.started_at + inject.delay + drill.paused_for


async def played(tx: Tx, drill_id: int) -> set[int]:
    found = await event_log.stream(tx.conn, stream_of(drill_id), (InjectPlayed.kind,))
    return {int(e.data()["index"]) for e in found}


async def arm(tx: Tx, app: App, drill: store.Drill) -> int:
    """A timer for each inject not played yet; returns how many."""
    done = await played(tx, drill.id)
    armed = 0
    for index, inject in enumerate(drill.plan.timeline):
        if index not in done:
            await app.scheduler.schedule(
                tx,
                kind=INJECT,
                key=key(drill.id, index),
                due_at=due(drill, inject),
                payload={"drill_id": drill.id, "index": index},
            )
            armed += 1
    return armed


async def disarm(tx: Tx, app: App, drill: store.Drill) -> None:
    for index in range(len(drill.plan.injects)):
        await app.scheduler.cancel(tx, key(drill.id, index))


async def rooms_of(tx: Tx, drill: store.Drill) -> list[str]:
    """Where the drill speaks: its room, and its practice incident's room once there is one."""
    found = [drill.room_id] if drill.room_id else []
    if drill.incident_id is not None:
        incident = await incidents.get(tx, drill.incident_id)
        if incident is not None and incident.room_id and incident.room_id not in found:
            found.append(incident.room_id)
    return found


async def tell(tx: Tx, drill: store.Drill, content: str | Content) -> None:
    for room in await rooms_of(tx, drill):
        await tx.send(room, content)


async def fire(tx: Tx, timer: Timer) -> None:
    """An inject is due: play it, unless the drill is paused or over, or it already played."""
    app = tx.app
    assert app is not None
    drill = await store.get(tx, int(timer.payload["drill_id"]))
    index = int(timer.payload["index"])
    if drill is None or drill.state != store.RUNNING or index in await played(tx, drill.id):
        return
    timeline = drill.plan.timeline
    inject = timeline[index]
    now = app.clock.now()
    page_id: int | None = None
    paged: str | None = None
    if inject.kind == "page":
        paged, instead = await _page_target(tx, app, drill, inject.who or "ic")
        if instead:
            await tell(tx, drill, f"{MARK} · 📝 {instead}")
        page = await paging.start(
            tx,
            target=f"user:{paged}",
            policy=direct(f"user:{paged}"),
            message=inject.text,
            severity=None,  # practice pages at once, in chat only (see paging.is_practice)
            incident_id=drill.incident_id,
            room_id=drill.room_id,
            actor="drill",
        )
        page_id = page.id
    else:
        await tell(tx, drill, f"{MARK} · {LOOKS[inject.kind]}: {inject.text}")
    await event_log.record(
        tx,
        InjectPlayed.of(
            drill.id,
            now,
            "drill",
            index=index,
            inject_kind=inject.kind,
            page_id=page_id,
            paged=paged,
            text=inject.text,
        ),
    )
    if len(await played(tx, drill.id)) == len(timeline):
        await tell(
            tx,
            drill,
            f"{MARK} · Every inject of {drill.ref} has played. When it is over, resolve the practice "
            f"incident, or end the drill: !drill stop --id {drill.id} (either way, the debrief follows).",
        )


async def _page_target(tx: Tx, app: App, drill: store.Drill, who: str) -> tuple[str, str | None]:
    """The person a page inject reaches, and what to tell the room when someone stands in."""
    if who == "ic":
        return drill.ic, None
    if who == "starter":
        starter = await people.person_of(app, tx, drill.started_by)
        if starter is not None:
            return starter, None
        return (
            drill.ic,
            f"the starter is not in oncall.people; the Incident Commander @{drill.ic} is paged instead.",
        )
    if who in drill.participants:
        return who, None
    return drill.ic, (
        f"@{who} is not taking part in this drill; the Incident Commander @{drill.ic} is paged instead."
    )


async def pause(tx: Tx, app: App, drill: store.Drill, actor: str) -> store.Drill:
    now = app.clock.now()
    changed = await store.change(tx, drill.id, state=store.PAUSED, paused_at=now)
    await disarm(tx, app, drill)
    await event_log.record(tx, DrillPaused.of(drill.id, now, actor, text="paused"))
    return changed


async def resume(tx: Tx, app: App, drill: store.Drill, actor: str) -> tuple[store.Drill, int]:
    now = app.clock.now()
    assert drill.paused_at is not None
    length = int((now - drill.paused_at).total_seconds())
    changed = await store.change(
        tx, drill.id, state=store.RUNNING, paused_at=None, paused_s=drill.paused_s + length
    )
    await arm(tx, app, changed)
    await event_log.record(tx, DrillResumed.of(drill.id, now, actor, paused_s=length, text="resumed"))
    return changed, length


async def end(tx: Tx, app: App, drill: store.Drill, how: str, actor: str) -> store.Drill:
    """The drill is over (its practice incident resolved, or stopped): no more injects; the debrief."""
    now = app.clock.now()
    extra = int((now - drill.paused_at).total_seconds()) if drill.paused_at else 0
    ended = await store.change(
        tx,
        drill.id,
        state=store.ENDED,
        ended_at=now,
        ended_how=how,
        paused_at=None,
        paused_s=drill.paused_s + extra,
    )
    await disarm(tx, app, drill)
    who = facts.name(actor)
    what = (
        f"the practice incident INC-{drill.incident_id} was resolved"
        if how == "resolved"
        else "stopped" + (f" by {who}" if who else "")
    )
    await event_log.record(tx, DrillEnded.of(drill.id, now, actor, how=how, text=what))
    found = await facts.gather(tx, app, drill, debrief.Moment(now, what, who))
    text = debrief.markdown(found, debrief.figures(found), app.tz)
    ended = await store.change(tx, drill.id, debrief=text)
    await tell(tx, ended, text)
    return ended


def ic_line(account: Any, ic: str, drill: store.Drill, why: str) -> Content:
    who: Mention | str = Mention(account.id, ic) if account is not None else f"@{ic}"
    return Content(
        (
            Text(("🎖️ ", who, f", you are the Incident Commander of {drill.ref} ({why}).")),
            Text(
                (
                    "Run it as a real incident: declare here when you judge it is one — "
                    '!incident declare "<what users see>" --sev <level> — then name a Tech Lead and a '
                    "Comms Lead, post updates on cadence, mitigate before you diagnose.",
                )
            ),
        )
    )

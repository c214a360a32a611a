"""Pages and their escalation: rows and timers first, notifications through the outbox.

A page is a row; each escalation step is a timer row, fired once inside the
write that stores what it did; each notification is an outbox row in that
same write.  So a crash at any point neither loses a step nor runs one
twice: what committed is done, what did not will fire after the restart.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from chatops import events as event_log
from chatops.events import DomainEvent
from chatops.models.chat import User, transport_of
from chatops.models.content import Button, Buttons, Content, Mention, Text
from chatops.scheduler import Timer
from chatops.timefmt import local_time
from chatops_plugins.incident import store as incidents
from chatops_plugins.incident.events import stream_of
from chatops_plugins.oncall import people
from chatops_plugins.oncall.config import NotifyRule, OncallConfig, duration
from chatops_plugins.oncall.policy import Policy, pages_now
from chatops_plugins.oncall.tables import notified, pages

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

ESCALATE, COVERAGE, NOTIFY = "oncall.escalate", "oncall.coverage", "oncall.notify"
WAITING, OPEN, ACKNOWLEDGED, EXHAUSTED, STOPPED = "waiting", "open", "acknowledged", "exhausted", "stopped"


class PageEvent(DomainEvent):
    """Something that happened to a page, in its incident's timeline (or its own stream)."""

    page_id: int
    text: str


class Paged(PageEvent):
    kind = "paged"


class PageWaiting(PageEvent):
    kind = "page_waiting"


class PageAcknowledged(PageEvent):
    kind = "page_acknowledged"


class PageExhausted(PageEvent):
    kind = "page_exhausted"


class PageStopped(PageEvent):
    kind = "page_stopped"


@dataclass(frozen=True, slots=True)
class Page:
    id: int
    target: str
    message: str
    severity: int | None
    incident_id: int | None
    room_id: str | None
    policy: Policy
    state: str
    step: int
    cycle: int
    created_at: datetime
    acked_by: str | None
    acked_at: datetime | None

    @property
    def ref(self) -> str:
        return f"P-{self.id}"

    @property
    def tag(self) -> str:
        return f"page:{self.id}"

    @property
    def is_open(self) -> bool:
        return self.state in (WAITING, OPEN)


class NotificationChannel(Protocol):
    """A way to reach a person (chat is built in; e-mail, push, SMS are plugins)."""

    async def notify(self, tx: Tx, page: Page, person: people.Person, rule: int) -> None:
        """Reach ``person`` about ``page``: rule number ``rule`` (from 0) of their rules asks for it."""


def _page(row: Any) -> Page:
    return Page(
        id=row.id,
        target=row.target,
        message=row.message,
        severity=row.severity,
        incident_id=row.incident_id,
        room_id=row.room_id,
        policy=Policy.from_json(dict(row.policy)),
        state=row.state,
        step=row.step,
        cycle=row.cycle,
        created_at=row.created_at,
        acked_by=row.acked_by,
        acked_at=row.acked_at,
    )


async def get(conn: Any, page_id: int) -> Page | None:
    row = (await conn.execute(select(pages).where(pages.c.id == page_id))).first()
    return None if row is None else _page(row)


async def latest_open_for(conn: Any, person: str) -> Page | None:
    """The newest open page that reached ``person``."""
    row = (
        await conn.execute(
            select(pages)
            .join(notified, notified.c.page_id == pages.c.id)
            .where(notified.c.person == person, pages.c.state.in_((WAITING, OPEN)))
            .order_by(pages.c.id.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else _page(row)


async def paged_for(conn: Any, incident_id: int, target: str) -> bool:
    """Whether ``target`` has been paged for the incident already (in any state)."""
    query = select(pages.c.id).where(pages.c.incident_id == incident_id, pages.c.target == target)
    return (await conn.execute(query.limit(1))).first() is not None


async def reached(conn: Any, page_id: int) -> set[str]:
    rows = await conn.execute(select(notified.c.person).where(notified.c.page_id == page_id))
    return {r.person for r in rows}


def settings(app: App) -> OncallConfig:
    found: OncallConfig = app.section("oncall")
    return found


async def _record(tx: Tx, page: Page, event: type[PageEvent], actor: str, text: str) -> None:
    app = tx.app
    assert app is not None
    stream = stream_of(page.incident_id) if page.incident_id else page.tag
    await event_log.record(
        tx, event(stream=stream, at=app.clock.now(), actor=actor, page_id=page.id, text=text)
    )


async def room_of(tx: Tx, page: Page) -> str | None:
    """Where the page is shown: its incident's room once it exists, else where it was raised."""
    if page.incident_id is not None:
        incident = await incidents.get(tx, page.incident_id)
        if incident is not None and incident.room_id:
            return incident.room_id
    return page.room_id


def ack_button(page: Page) -> Buttons:
    return Buttons((Button("Acknowledge", f"page.ack:{page.id}", f"!ack {page.ref}", "primary"),))


async def practice_room(tx: Tx, room_id: str | None) -> bool:
    """Whether a plugin (the drill plugin) says ``room_id`` is a practice room."""
    app = tx.app
    assert app is not None
    if room_id is None:
        return False
    return bool(await app.hooks.call_first("chatops_practice_room", tx=tx, room_id=room_id))


async def is_practice(tx: Tx, page: Page) -> bool:
    """A drill's page: its incident is a drill, or (no incident) it was raised in a practice room.

    Such a page reaches people in chat only: practice never e-mails, texts or calls anyone.
    """
    if page.incident_id is not None:
        incident = await incidents.get(tx, page.incident_id)
        if incident is not None:
            return incident.drill
    return await practice_room(tx, page.room_id)


async def headline(tx: Tx, page: Page) -> str:
    app = tx.app
    assert app is not None
    parts = [page.ref]
    if page.severity is not None:
        parts.append(f"Sev{page.severity}")
    if page.incident_id is not None:
        parts.append(f"INC-{page.incident_id}")
    drill = "🧪 DRILL · " if await is_practice(tx, page) else ""
    return drill + " · ".join(parts) + f": {page.message}"


async def start(
    tx: Tx,
    *,
    target: str,
    policy: Policy,
    message: str,
    severity: int | None,
    incident_id: int | None,
    room_id: str | None,
    actor: str,
) -> Page:
    """Store a page and run its first step now, or wait visibly for business hours."""
    app = tx.app
    assert app is not None
    config = settings(app)
    now = app.clock.now()
    begins = (
        now
        if pages_now(severity, config.around_the_clock)
        else config.business_hours.window().next_start(now)
    )
    state = OPEN if begins == now else WAITING
    result = await tx.execute(
        insert(pages).values(
            target=target,
            message=message,
            severity=severity,
            incident_id=incident_id,
            room_id=room_id,
            policy=policy.to_json(),
            state=state,
            step=0,
            cycle=0,
            created_by=actor,
            created_at=now,
        )
    )
    page = await get(tx, result.inserted_primary_key[0])
    assert page is not None
    if state == OPEN:
        await run_step(tx, page)
        return page
    assert begins is not None
    when = local_time(begins, app.tz, now)
    text = f"{page.ref} (Sev{severity}) waits for business hours: paging starts {when}."
    await _record(tx, page, PageWaiting, actor, text)
    await app.scheduler.schedule(
        tx, kind=COVERAGE, key=f"oncall:{page.tag}", due_at=begins, payload={"page_id": page.id}
    )
    room = await room_of(tx, page)
    if room:
        await tx.send(room, text, tag=page.tag)
    return page


async def run_step(tx: Tx, page: Page) -> None:
    """Reach the targets of the page's current step, and arm what comes after it."""
    app = tx.app
    assert app is not None
    config = settings(app)
    now = app.clock.now()
    step = page.policy.steps[page.step]
    reached_now: list[str] = []
    rooms: list[str] = []
    nobody: list[str] = []
    for target in step.targets:
        kind, _, name = target.partition(":")
        if kind == "room":
            rooms.append(name)
        elif kind == "user":
            reached_now.append(name)
        else:
            on_call, problem = await people.on_call(app, name, now)
            if on_call is None:
                nobody.append(f"{name} ({problem})" if problem else name)
            else:
                reached_now.append(on_call)
    reached_now = list(dict.fromkeys(reached_now))
    channels = people.channels(app)
    practice = await is_practice(tx, page)
    for person_key in reached_now:
        await tx.execute(insert(notified).values(page_id=page.id, person=person_key, step=page.step, at=now))
        person = await people.person(app, tx, person_key)
        at_once: list[tuple[int, str]] = []
        # Later rules are armed first, so that a channel failing at once can bring the next one forward.
        rules = config.people[person_key].notify if person_key in config.people else []
        if practice:  # a drill: one chat message, never e-mail, SMS or a call
            rules = [NotifyRule(channel="chat")]
        for index, rule in enumerate(rules):
            delay = duration(rule.after)
            if delay.total_seconds() <= 0:
                at_once.append((index, rule.channel))
            else:
                await app.scheduler.schedule(
                    tx,
                    kind=NOTIFY,
                    key=notify_key(page, person_key, index),
                    due_at=now + delay,
                    payload={
                        "page_id": page.id,
                        "person": person_key,
                        "channel": rule.channel,
                        "rule": index,
                    },
                )
        for index, name in at_once:
            channel = channels.get(name)
            if channel is not None:
                await channel.notify(tx, page, person, index)
    headline_text = await headline(tx, page)
    room = await room_of(tx, page)
    position = page.policy.position(page.step, page.cycle)
    for other in rooms:
        await tx.send(
            other, Content((Text((f"📟 {headline_text} ({position})",)), ack_button(page))), tag=page.tag
        )
    if room and reached_now:
        parts: list[Any] = ["📟 "]
        for i, person_key in enumerate(reached_now):
            account = await people.account_on(app, tx, person_key, transport_of(room))
            parts += [", " if i else "", Mention(account.id, person_key) if account else f"@{person_key}"]
        parts.append(f" paged ({position}): {headline_text}")
        await tx.send(room, Content((Text(tuple(parts)), ack_button(page))), tag=page.tag)
    summary = ", ".join(f"@{p}" for p in reached_now) or "nobody"
    text = f"{page.ref} → {summary} ({position})"
    if nobody:
        text += f"; nobody on call for {', '.join(nobody)}"
        if room:
            await tx.send(room, f"⚠️ {page.ref}: nobody is on call for {', '.join(nobody)} right now.")
    await _record(tx, page, Paged, "oncall", text)
    await app.scheduler.schedule(
        tx,
        kind=ESCALATE,
        key=f"oncall:{page.tag}",
        due_at=now + step.after if reached_now or rooms else now,  # nobody reached: move on at once
        payload={"page_id": page.id, "step": page.step, "cycle": page.cycle},
    )


async def escalate(tx: Tx, timer: Timer) -> None:
    """A step's time is up and nobody acknowledged: the next step, or give up loudly."""
    app = tx.app
    assert app is not None
    page = await get(tx, timer.payload["page_id"])
    if page is None or page.state != OPEN:
        return
    if (page.step, page.cycle) != (timer.payload.get("step"), timer.payload.get("cycle")):
        return  # a stale timer: the page moved on
    following = page.policy.after(page.step, page.cycle)
    if following is None:
        await tx.execute(update(pages).where(pages.c.id == page.id).values(state=EXHAUSTED))
        rounds = f"{len(page.policy.steps)} step(s), {page.policy.repeat + 1} round(s)"
        text = f"Nobody acknowledged {page.ref} ({rounds})."
        await _record(tx, page, PageExhausted, "oncall", text)
        room = await room_of(tx, page)
        if room:
            await tx.send(room, f"⚠️ {text} Page someone directly: !page @<person> <message>")
        return
    step, cycle = following
    await tx.execute(update(pages).where(pages.c.id == page.id).values(step=step, cycle=cycle))
    await run_step(tx, replace(page, step=step, cycle=cycle))


async def coverage(tx: Tx, timer: Timer) -> None:
    """Business hours began: a waiting page starts paging."""
    page = await get(tx, timer.payload["page_id"])
    if page is None or page.state != WAITING:
        return
    await tx.execute(update(pages).where(pages.c.id == page.id).values(state=OPEN))
    await run_step(tx, replace(page, state=OPEN))


def notify_key(page: Page, person: str, index: int) -> str:
    """The timer of ``person``'s rule ``index`` for this step and round of the page."""
    return f"oncall:{page.tag}:notify:{person}:{page.cycle}.{page.step}.{index}"


async def next_rule_now(
    tx: Tx, page_id: int, person: str, failed_rule: int, cycle: int, step: int
) -> str | None:
    """Rule ``failed_rule`` cannot reach ``person``: bring their next rule forward to now.

    Returns the channel of that rule, or None when the page is no longer open
    (acknowledged meanwhile), no rule follows, or the next one already went.
    """
    app = tx.app
    assert app is not None
    page = await get(tx, page_id)
    if page is None or page.state != OPEN:
        return None
    rules = settings(app).people[person].notify if person in settings(app).people else []
    then = replace(page, cycle=cycle, step=step)
    for index in range(failed_rule + 1, len(rules)):
        if await app.scheduler.hurry(tx, notify_key(then, person, index), app.clock.now()):
            return rules[index].channel
    return None


async def notify_later(tx: Tx, timer: Timer) -> None:
    """A person's later notification rule (e-mail after 2 minutes, …), unless acknowledged by then."""
    app = tx.app
    assert app is not None
    page = await get(tx, timer.payload["page_id"])
    if page is None or page.state != OPEN:
        return
    channel = people.channels(app).get(timer.payload["channel"])
    if channel is not None:
        person = await people.person(app, tx, timer.payload["person"])
        await channel.notify(tx, page, person, _rule_of(timer))


def _rule_of(timer: Timer) -> int:
    """The rule's number: in the payload, or (timers armed before it was) at the end of the key."""
    if "rule" in timer.payload:
        return int(timer.payload["rule"])
    return int(timer.key.rsplit(".", 1)[1])


async def _reload(tx: Tx, page_id: int) -> Page:
    page = await get(tx, page_id)
    assert page is not None
    return page


def ack_refusal(page: Page, tz: ZoneInfo, now: datetime) -> str | None:
    """Why ``page`` cannot be acknowledged now (already acknowledged, stopped, given up), or None.

    ``!ack`` and the HTTP API both ask this, so a page is refused the same way from anywhere.
    """
    if page.state == ACKNOWLEDGED:
        when = local_time(page.acked_at, tz, now) if page.acked_at else "earlier"
        return f"{page.ref} was already acknowledged by @{page.acked_by} at {when}."
    if page.state == STOPPED:
        return f"{page.ref} was stopped: what it paged about is over."
    if page.state == EXHAUSTED:
        return f"{page.ref} has stopped paging (nobody acknowledged it). Page again: !page <who> <message>"
    return None


async def acknowledge(tx: Tx, page: Page, person: str, by: User) -> Page:
    app = tx.app
    assert app is not None
    now = app.clock.now()
    await tx.execute(
        update(pages).where(pages.c.id == page.id).values(state=ACKNOWLEDGED, acked_by=person, acked_at=now)
    )
    await app.scheduler.cancel(tx, f"oncall:{page.tag}")
    await _record(tx, page, PageAcknowledged, by.id, f"{page.ref} acknowledged by @{person}")
    return await _reload(tx, page.id)


class PageLinked(PageEvent):
    kind = "page_linked"
    paged_at: datetime
    acked_at: datetime | None = None


async def link_incident(tx: Tx, page: Page, incident_id: int) -> None:
    """The page belongs to an incident now (declared from what it paged about); the incident's
    timeline says when it paged and was acknowledged, so its time to acknowledge counts."""
    app = tx.app
    assert app is not None
    await tx.execute(update(pages).where(pages.c.id == page.id).values(incident_id=incident_id))
    text = f"{page.ref} (paged before the declaration) linked"
    await event_log.record(
        tx,
        PageLinked(
            stream=stream_of(incident_id),
            at=app.clock.now(),
            actor="oncall",
            page_id=page.id,
            text=text,
            paged_at=page.created_at,
            acked_at=page.acked_at,
        ),
    )


async def stop(tx: Tx, page: Page, reason: str, actor: str) -> Page:
    """Stop an open page that is no longer needed (what it was about resolved): no more steps."""
    app = tx.app
    assert app is not None
    await tx.execute(update(pages).where(pages.c.id == page.id).values(state=STOPPED))
    await app.scheduler.cancel(tx, f"oncall:{page.tag}")
    await _record(tx, page, PageStopped, actor, f"{page.ref} stopped: {reason}")
    return await _reload(tx, page.id)


async def show_stopped(app: App, page: Page, reason: str) -> None:
    """Edit every message of the page to say it stopped, and why."""
    for ref in await app.outbound.sent_with_tag(page.tag):
        await app.outbound.edit(ref, f"⏹️ {page.ref} stopped: {reason} — {page.message}")


async def show_acknowledged(app: App, page: Page) -> None:
    """Edit every message of the page, on every transport, to say who acknowledged it and when."""
    assert page.acked_at is not None
    when = local_time(page.acked_at, app.tz, app.clock.now())
    text = f"✅ {page.ref} acknowledged by @{page.acked_by} at {when} — {page.message}"
    for ref in await app.outbound.sent_with_tag(page.tag):
        await app.outbound.edit(ref, text)


class ChatChannel:
    """The built-in channel: a direct message on each of the person's chat accounts."""

    async def notify(self, tx: Tx, page: Page, person: people.Person, rule: int) -> None:
        app = tx.app
        assert app is not None
        text = await headline(tx, page)
        body = Content(
            (Text((f"📟 You are paged: {text}",)), Text((f"Acknowledge: !ack {page.ref}",)), ack_button(page))
        )
        for account in person.accounts:
            if account.transport in app.transports:
                await tx.send_direct(account, body, tag=page.tag)

"""Shift swaps: two people trade shifts, once the other one agrees.

``!oncall swap platform @bob`` proposes that bob takes the asker's next
shift and the asker takes bob's next one (``--mine``/``--theirs`` pick other
shifts).  Nothing changes until bob accepts; then the trade is stored as
two overrides in one write, so it shows in ``who``, ``schedule``, the iCal
feed and the hand-off announcements like any override.  Only shifts from
the layers (rotations and calendars) can be traded, not overrides: where an
override already covers part of one, the swap is refused rather than
stacked on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from chatops import UserError
from chatops.models.content import Button, Buttons, Content, Text
from chatops.timefmt import local_time
from chatops_plugins.oncall import handoff, people
from chatops_plugins.oncall.config import OncallConfig, zone
from chatops_plugins.oncall.schedule import Override, Schedule, Segment, overlapping
from chatops_plugins.oncall.tables import overrides, swaps

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from chatops.app import App
    from chatops.storage.db import Tx

REQUESTED, ACCEPTED, DECLINED, WITHDRAWN = "requested", "accepted", "declined", "withdrawn"
ANSWER_WITHIN = timedelta(hours=24)
HORIZON = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class Swap:
    id: int
    schedule: str
    requester: str
    partner: str
    mine: tuple[datetime, datetime]  # the requester's shift, which the partner takes
    theirs: tuple[datetime, datetime]  # the partner's shift, which the requester takes
    state: str
    expires_at: datetime

    @property
    def ref(self) -> str:
        return f"S-{self.id}"


def _swap(row: Any) -> Swap:
    return Swap(
        row.id,
        row.schedule,
        row.requester,
        row.partner,
        (row.mine_from, row.mine_to),
        (row.theirs_from, row.theirs_to),
        row.state,
        row.expires_at,
    )


def shift_of(schedule: Schedule, person: str, now: datetime, at: datetime | None) -> Segment | None:
    """``person``'s shift running at ``at``, or (without ``at``) their current or next one.

    Shifts come from the layers only (overrides are not traded), from ``now`` on.
    """
    layers_only = schedule.with_overrides(())
    for segment in layers_only.segments(now, now + HORIZON):
        if segment.person != person:
            continue
        if at is None or segment.starts_at <= at < segment.ends_at:
            return segment
    return None


def span_text(span: tuple[datetime, datetime], tz: ZoneInfo) -> str:
    begins, ends = (t.astimezone(tz) for t in span)
    return f"{begins:%a %d %b %H:%M} to {ends:%a %d %b %H:%M %Z}"


def _tz(app: App, person: str) -> ZoneInfo:
    config: OncallConfig = app.section("oncall")
    return zone(config.people[person].timezone) if person in config.people else app.tz


async def _tell(tx: Tx, app: App, person: str, content: str | Content) -> None:
    for account in (await people.person(app, tx, person)).accounts:
        if account.transport in app.transports:
            await tx.send_direct(account, content)


async def _free_of_overrides(
    tx: Tx, app: App, schedule: str, spans: list[tuple[datetime, datetime]], tz: ZoneInfo
) -> None:
    built = await people.schedule(app, tx, schedule)
    for span in spans:
        clash = overlapping(Override("", *span), built.overrides)
        if clash is not None:
            raise UserError(
                f"@{clash.person}'s override ({span_text((clash.starts_at, clash.ends_at), tz)}) "
                "already covers part of that shift; trade another shift, or remove the override."
            )


async def propose(
    tx: Tx,
    app: App,
    schedule: str,
    requester: str,
    partner: str,
    mine_at: datetime | None,
    theirs_at: datetime | None,
) -> Swap:
    """Store a swap request and ask the partner (by direct message, with buttons)."""
    if requester == partner:
        raise UserError("A swap needs someone else: !oncall swap <schedule> @<person>")
    now = app.clock.now()
    built = await people.schedule(app, tx, schedule)
    tz = _tz(app, requester)
    found: list[tuple[datetime, datetime]] = []
    for person, at, whose in ((requester, mine_at, "You have"), (partner, theirs_at, f"@{partner} has")):
        shift = shift_of(built, person, now, at)
        if shift is None:
            when = f"at {local_time(at, tz, now)}" if at else f"in the next {HORIZON.days} days"
            raise UserError(f"{whose} no {schedule} shift {when}.")
        found.append((max(shift.starts_at, now), shift.ends_at))
    await _free_of_overrides(tx, app, schedule, found, tz)
    mine, theirs = found
    result = await tx.execute(
        insert(swaps).values(
            schedule=schedule,
            requester=requester,
            partner=partner,
            mine_from=mine[0],
            mine_to=mine[1],
            theirs_from=theirs[0],
            theirs_to=theirs[1],
            state=REQUESTED,
            created_at=now,
            expires_at=now + ANSWER_WITHIN,
        )
    )
    swap = Swap(
        result.inserted_primary_key[0],
        schedule,
        requester,
        partner,
        mine,
        theirs,
        REQUESTED,
        now + ANSWER_WITHIN,
    )
    partner_tz = _tz(app, partner)
    question = (
        f"🔁 @{requester} asks to swap {schedule} shifts ({swap.ref}): you would take theirs, "
        f"{span_text(mine, partner_tz)}, and they yours, {span_text(theirs, partner_tz)}. "
        f"Answer within {ANSWER_WITHIN.days * 24} h: !oncall accept {swap.ref} or !oncall decline {swap.ref}"
    )
    buttons = Buttons(
        (
            Button("Accept", f"oncall.swap.accept:{swap.id}", f"!oncall accept {swap.ref}", "primary"),
            Button("Decline", f"oncall.swap.decline:{swap.id}", f"!oncall decline {swap.ref}", "danger"),
        )
    )
    await _tell(tx, app, partner, Content((Text((question,)), buttons)))
    return swap


async def get(conn: Any, swap_id: int) -> Swap | None:
    row = (await conn.execute(select(swaps).where(swaps.c.id == swap_id))).first()
    return None if row is None else _swap(row)


async def _open(tx: Tx, app: App, swap_id: int) -> Swap:
    swap = await get(tx, swap_id)
    if swap is None:
        raise UserError(f"There is no swap S-{swap_id}.")
    if swap.state != REQUESTED:
        raise UserError(f"{swap.ref} was already {swap.state}.")
    if swap.expires_at <= app.clock.now():
        raise UserError(f"{swap.ref} expired unanswered; ask again: !oncall swap {swap.schedule} @<person>")
    return swap


async def accept(tx: Tx, app: App, swap_id: int, person: str | None, is_admin: bool) -> Swap:
    """The partner agrees: the trade becomes two overrides, if both shifts are still as asked."""
    swap = await _open(tx, app, swap_id)
    if person != swap.partner and not is_admin:
        raise UserError(f"{swap.ref} is @{swap.partner}'s to accept.")
    now = app.clock.now()
    mine = (max(swap.mine[0], now), swap.mine[1])
    theirs = (max(swap.theirs[0], now), swap.theirs[1])
    if mine[1] <= now or theirs[1] <= now:
        raise UserError(f"A shift of {swap.ref} is already over; ask again with other shifts.")
    built = (await people.schedule(app, tx, swap.schedule)).with_overrides(())
    for span, owner in ((mine, swap.requester), (theirs, swap.partner)):
        if any(s.person != owner for s in built.segments(*span)):
            raise UserError(f"The {swap.schedule} schedule changed since {swap.ref} was asked; ask again.")
    await _free_of_overrides(tx, app, swap.schedule, [mine, theirs], _tz(app, swap.requester))
    for span, covering in ((mine, swap.partner), (theirs, swap.requester)):
        await tx.execute(
            insert(overrides).values(
                schedule=swap.schedule,
                person=covering,
                starts_at=span[0],
                ends_at=span[1],
                created_by=f"swap:{swap.ref}",
                created_at=now,
            )
        )
    await tx.execute(update(swaps).where(swaps.c.id == swap.id).values(state=ACCEPTED, decided_at=now))
    await handoff.arm(tx, app, swap.schedule)
    tz = _tz(app, swap.requester)
    await _tell(
        tx,
        app,
        swap.requester,
        f"✅ @{swap.partner} accepted {swap.ref}: they cover {span_text(mine, tz)}; "
        f"you cover {span_text(theirs, tz)}.",
    )
    return swap


async def decline(tx: Tx, app: App, swap_id: int, person: str | None, is_admin: bool) -> Swap:
    """The partner declines, or the requester withdraws: nothing changes."""
    swap = await _open(tx, app, swap_id)
    if person not in (swap.partner, swap.requester) and not is_admin:
        raise UserError(f"{swap.ref} is between @{swap.requester} and @{swap.partner}.")
    state = WITHDRAWN if person == swap.requester else DECLINED
    now = app.clock.now()
    await tx.execute(update(swaps).where(swaps.c.id == swap.id).values(state=state, decided_at=now))
    other = swap.partner if state == WITHDRAWN else swap.requester
    await _tell(tx, app, other, f"{swap.ref} ({swap.schedule}) was {state} by @{person or 'an admin'}.")
    return swap

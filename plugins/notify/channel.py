"""What every channel outside chat shares: a stored delivery per notification, its failures told.

``notify`` runs in the transaction of the page's step (``chatops_notification_channels``):
it stores the acknowledge link and the delivery, so a notification is never
lost to a crash and is sent once the step commits.  ``deliver`` sends it
unless the page was acknowledged meanwhile: one acknowledgement, on any
channel, stops every later one.  When a channel keeps failing for a person
(``notify.escalate_after`` attempts), their next rule goes at once instead
of waiting for its time, and the room hears why.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from chatops_plugins.notify import links
from chatops_plugins.oncall import paging
from chatops_plugins.oncall.config import OncallConfig, PersonConfig

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx
    from chatops_plugins.oncall.people import Person

log = logging.getLogger("chatops.notify")


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification as stored: everything a channel needs to send it, nothing secret."""

    page_id: int
    page_ref: str
    person: str
    channel: str
    to: str
    headline: str
    link: str | None
    cycle: int
    step: int
    rule: int = 0  # which of the person's rules sent it
    test: bool = False
    reply_room: str | None = None  # a test's: where its failure is told

    @property
    def how_to_ack(self) -> str:
        if self.test:
            return "This is a test: nothing to acknowledge."
        if self.link:
            return f"Acknowledge: {self.link}"
        return f"Acknowledge in chat: !ack {self.page_ref}"


class Channel:
    """Subclasses give ``name``, ``address`` (where the person is reached) and ``send``."""

    name = ""
    wants = ""  # what a person needs for it, for messages: "an e-mail address (email:)"
    max_attempts = 5
    first_retry_s = 10.0

    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def kind(self) -> str:
        return f"notify.{self.name}"

    def address(self, person: PersonConfig) -> str | None:
        raise NotImplementedError

    async def send(self, notification: Notification, delivery_id: str) -> None:
        """Send it; raise ``chatops.deliveries.DeliveryError`` with the reason to be retried."""
        raise NotImplementedError

    # --- the notification channel (chatops_notification_channels) ---

    async def notify(self, tx: Tx, page: paging.Page, person: Person, rule: int) -> None:
        config: OncallConfig = self.app.section("oncall")
        found = config.people.get(person.key)
        address = self.address(found) if found is not None else None
        if address is None:
            await self._unreachable(tx, page, person.key, rule, f"@{person.key} has no {self.wants}")
            return
        notification = Notification(
            page_id=page.id,
            page_ref=page.ref,
            person=person.key,
            channel=self.name,
            to=address,
            headline=await paging.headline(tx, page),
            link=await links.create(tx, self.app, page, person.key, self.name),
            cycle=page.cycle,
            step=page.step,
            rule=rule,
        )
        key = f"{self.kind}:{page.id}:{person.key}:{page.cycle}.{page.step}.{rule}"
        await self.app.deliveries.queue(tx, self.kind, asdict(notification), key=key)

    async def _unreachable(self, tx: Tx, page: paging.Page, person: str, rule: int, why: str) -> None:
        following = await paging.next_rule_now(tx, page.id, person, rule, page.cycle, page.step)
        room = await paging.room_of(tx, page)
        if room:
            then = f"; their next rule ({following}) goes now" if following else ""
            await tx.send(room, f"⚠️ {page.ref}: {why} for the {self.name} rule{then}.")

    # --- the delivery (chatops_delivery_kinds) ---

    async def deliver(self, app: App, payload: dict[str, Any], delivery_id: str) -> None:
        notification = Notification(**payload)
        if not notification.test:
            async with app.db.read() as conn:
                page = await paging.get(conn, notification.page_id)
            if page is None or not page.is_open:
                return  # acknowledged (or stopped) meanwhile: nobody needs waking
        await self.send(notification, delivery_id)

    async def failed(
        self, app: App, payload: dict[str, Any], reason: str, attempts: int, gave_up: bool
    ) -> None:
        notification = Notification(**payload)
        if notification.test:
            if notification.reply_room and (attempts == 1 or gave_up):
                ended = "gave up" if gave_up else "retrying"
                await app.outbound.send(
                    notification.reply_room, f"⚠️ Test by {self.name} failed ({reason}); {ended}."
                )
            return
        threshold = min(links.settings(app).escalate_after, self.max_attempts)
        if attempts != 1 and attempts != threshold and not gave_up:
            return

        async def tell(tx: Tx) -> None:
            page = await paging.get(tx, notification.page_id)
            if page is None or not page.is_open:
                return
            what = f"⚠️ {page.ref}: {self.name} to @{notification.person} failed ({reason})"
            if attempts == threshold:
                following = await paging.next_rule_now(
                    tx, page.id, notification.person, notification.rule, notification.cycle, notification.step
                )
                what += f"; their next rule ({following}) goes now" if following else "; no rule follows it"
            what += "; gave up." if gave_up else "; retrying."
            room = await paging.room_of(tx, page)
            if room:
                await tx.send(room, what)

        await app.db.write(tell)

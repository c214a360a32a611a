"""Acknowledge links: one per notification, signed, single-use, expiring.

A link is ``<public_url>/notify/ack/<nonce>.<signature>``: the nonce names a
stored row (page, person, channel, expiry) and the signature is an HMAC of
that row under ``notify.link_secret``, so a link cannot be made up, changed
to another page, or outlive its row.  Using it stamps ``used_at`` in the
same write that acknowledges the page: a second use is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from chatops.models.chat import User
from chatops_plugins.notify.config import NotifyConfig
from chatops_plugins.notify.tables import links
from chatops_plugins.oncall import paging

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx


def settings(app: App) -> NotifyConfig:
    found: NotifyConfig = app.section("notify")
    return found


def _signature(secret: str, row: Any) -> str:
    message = f"{row.nonce}:{row.page_id}:{row.person}:{row.channel}:{row.expires_at.timestamp():.0f}"
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def create(tx: Tx, app: App, page: paging.Page, person: str, channel: str) -> str | None:
    """A new link for ``person`` to acknowledge ``page``, or None when links are not configured."""
    config = settings(app)
    if not config.links:
        return None
    assert config.public_url is not None and config.link_secret is not None
    values = {
        "nonce": secrets.token_urlsafe(18),
        "page_id": page.id,
        "person": person,
        "channel": channel,
        "expires_at": app.clock.now() + config.link_lifetime,
    }
    await tx.execute(links.insert().values(**values))
    row = (await tx.execute(select(links).where(links.c.nonce == values["nonce"]))).one()
    signature = _signature(config.link_secret.get_secret_value(), row)
    return f"{config.public_url.rstrip('/')}/notify/ack/{row.nonce}.{signature}"


INVALID = "This acknowledge link is not valid. Acknowledge in chat: !ack"


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int  # the HTTP status to answer with
    text: str
    page: paging.Page | None = None


async def _usable(conn: Any, app: App, token: str) -> tuple[Any, paging.Page] | Outcome:
    """The link's row and its page when both can be used now, or why not."""
    nonce, _, signature = token.partition(".")
    row = (await conn.execute(select(links).where(links.c.nonce == nonce))).first()
    secret = settings(app).link_secret
    if row is None or secret is None:
        return Outcome(404, INVALID)
    if not hmac.compare_digest(_signature(secret.get_secret_value(), row), signature):
        return Outcome(404, INVALID)
    if row.used_at is not None:
        return Outcome(410, f"This link was already used. P-{row.page_id} is acknowledged.")
    if row.expires_at <= app.clock.now():
        return Outcome(410, f"This link has expired. Acknowledge in chat: !ack P-{row.page_id}")
    page = await paging.get(conn, row.page_id)
    assert page is not None
    refusal = paging.ack_refusal(page, app.tz, app.clock.now())
    if refusal is not None:
        return Outcome(409, refusal, page)
    return row, page


async def look(app: App, token: str) -> Outcome:
    """What the link would acknowledge (for the page a browser shows before the click)."""
    async with app.db.read() as conn:
        found = await _usable(conn, app, token)
    if isinstance(found, Outcome):
        return found
    row, page = found
    return Outcome(200, f"Acknowledge {page.ref} as {row.person}?", page)


async def use(app: App, token: str) -> Outcome:
    """Acknowledge the link's page as its person, once; the link is spent in the same write."""

    async def write(tx: Tx) -> Outcome:
        found = await _usable(tx, app, token)
        if isinstance(found, Outcome):
            return found
        row, page = found
        spent = await tx.execute(
            update(links)
            .where(links.c.nonce == row.nonce, links.c.used_at.is_(None))
            .values(used_at=app.clock.now())
        )
        if not spent.rowcount:
            return Outcome(410, f"This link was already used. P-{row.page_id} is acknowledged.")
        by = User(id=f"{row.channel}:{row.person}", name=row.person)
        acked = await paging.acknowledge(tx, page, row.person, by)
        return Outcome(200, f"{acked.ref} acknowledged: escalation stopped.", acked)

    outcome = await app.db.write(write)
    if outcome.status == 200 and outcome.page is not None:
        await paging.show_acknowledged(app, outcome.page)
    return outcome

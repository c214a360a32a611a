"""``/notify/twilio/sms`` and ``/notify/twilio/voice``: acknowledging a page by a text reply or a key press.

Twilio signs each webhook (``X-Twilio-Signature``): base64 HMAC-SHA1, keyed
with the auth token, over the full URL it called followed by every POST
parameter's name and value, sorted by name.  The URL is the one Twilio was
given: ``notify.public_url`` plus the path and query this server received
(a proxy in front may rewrite the host, never what Twilio signed).  An
unsigned or wrongly signed request is refused (403) before anything is read.

Twilio retries a webhook it did not hear back from: each ``MessageSid`` (or
``CallSid``) is handled once, stored in ``notify_inbound`` in the same write
as the acknowledgement; a repeat is answered with an empty TwiML response
and changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from aiohttp import web
from sqlalchemy import select

from chatops.models.chat import User
from chatops.web import APP_KEY
from chatops.webauth import raw_header
from chatops_plugins.notify import links
from chatops_plugins.notify.sms import SMS_PATH, VOICE_PATH
from chatops_plugins.notify.tables import inbound
from chatops_plugins.oncall import paging
from chatops_plugins.oncall.config import OncallConfig

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

log = logging.getLogger("chatops.notify")
SIGNATURE_HEADER = "X-Twilio-Signature"
SID = re.compile(r"[A-Za-z0-9]{2,64}")
ACK = re.compile(r"\s*ack(?:nowledge)?(?:\s+(?:p-?\s*)?(\d{1,9}))?\s*[.!]*\s*", re.IGNORECASE)
HOW = "Reply ACK to acknowledge your latest page, or ACK P-17 for a given one."


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Twilio's request signature: base64 HMAC-SHA1 of the URL and the sorted parameters."""
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twiml(inner: str = "") -> web.Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'
    return web.Response(text=body, content_type="text/xml", headers={"Cache-Control": "no-store"})


def _say(text: str) -> str:
    return f"<Say>{escape(text.replace('@', '').replace('!', ''))}</Say>"


async def _verified(request: web.Request) -> tuple[App, dict[str, str]] | web.Response:
    """The app and the form of a request Twilio signed, or the refusal to answer with."""
    app = request.app[APP_KEY]
    config = links.settings(app)
    if config.twilio is None or config.public_url is None:
        log.warning("refused %s: Twilio webhooks need notify.twilio and notify.public_url", request.path)
        return web.Response(status=403, text="Twilio webhooks are not configured here.\n")
    form = await request.post()
    params = [(name, value) for name, value in form.items() if isinstance(value, str)]
    url = config.public_url.rstrip("/") + request.raw_path
    expected = signature(config.twilio.auth_token.get_secret_value(), url, params)
    given = raw_header(request.headers.get(SIGNATURE_HEADER, ""))
    if len(params) != len(form) or not hmac.compare_digest(given, expected.encode()):
        log.warning(
            "refused %s: no valid %s (Twilio signs %s%s; is that notify.public_url?)",
            request.path,
            SIGNATURE_HEADER,
            config.public_url.rstrip("/"),
            request.path,
        )
        return web.Response(status=403, text="Invalid or missing X-Twilio-Signature.\n")
    return app, dict(params)


async def _first_time(tx: Tx, app: App, key: str) -> bool:
    """Whether ``key`` is new; it is stored (in ``tx``) so the next time it is not."""
    if (await tx.execute(select(inbound.c.key).where(inbound.c.key == key))).first() is not None:
        return False
    await tx.execute(inbound.insert().values(key=key, at=app.clock.now()))
    return True


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    acknowledged: paging.Page | None = None


async def acknowledge(tx: Tx, app: App, person: str, page_id: int | None, channel: str) -> Answer:
    """``person`` acknowledges a page (theirs, the latest, if none is named), refused as ``!ack`` is."""
    if page_id is None:
        page = await paging.latest_open_for(tx, person)
        if page is None:
            return Answer("You have no open page: nothing to acknowledge.")
    else:
        page = await paging.get(tx, page_id)
        if page is None:
            return Answer(f"There is no page P-{page_id}.")
    refusal = paging.ack_refusal(page, app.tz, app.clock.now())
    if refusal is not None:
        return Answer(refusal)
    if person not in await paging.reached(tx, page.id):
        return Answer(f"{page.ref} was not sent to you; only the people it paged can acknowledge it.")
    acked = await paging.acknowledge(tx, page, person, User(id=f"{channel}:{person}", name=person))
    return Answer(f"Acknowledged {acked.ref}: escalation stopped.", acked)


def person_by_phone(app: App, phone: str) -> tuple[str | None, str]:
    """The person whose ``phone`` this is, or None and what to tell the sender."""
    config: OncallConfig = app.section("oncall")
    found = [key for key, person in config.people.items() if phone and person.phone == phone]
    if len(found) == 1:
        return found[0], ""
    if found:
        names = " and ".join(f"@{key}" for key in found)
        return None, f"This number belongs to {names}: nothing was acknowledged. Acknowledge in chat: !ack"
    return None, "This number is not on the on-call list: nothing was acknowledged. Acknowledge in chat: !ack"


async def sms(request: web.Request) -> web.Response:
    """An SMS to our number: ``ACK`` or ``ACK P-17`` acknowledges; the answer is a reply SMS."""
    checked = await _verified(request)
    if isinstance(checked, web.Response):
        return checked
    app, form = checked
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if not SID.fullmatch(sid):
        return web.Response(status=400, text="MessageSid is missing.\n")
    person, unknown = person_by_phone(app, form.get("From", ""))
    command = ACK.fullmatch(form.get("Body", ""))

    async def write(tx: Tx) -> Answer | None:
        if not await _first_time(tx, app, f"sms:{sid}"):
            return None
        if person is None:
            return Answer(unknown)
        if command is None:
            return Answer(HOW)
        page_id = int(command.group(1)) if command.group(1) else None
        answer = await acknowledge(tx, app, person, page_id, "sms")
        if answer.acknowledged is not None and (other := await paging.latest_open_for(tx, person)):
            still = f"{other.ref} is still open: reply ACK {other.ref}"
            answer = Answer(f"{answer.text} {still}", answer.acknowledged)
        return answer

    answer = await app.db.write(write)
    if answer is None:
        return twiml()  # handled before: Twilio retried
    if answer.acknowledged is not None:
        await paging.show_acknowledged(app, answer.acknowledged)
    return twiml(f"<Message>{escape(answer.text)}</Message>")


async def voice(request: web.Request) -> web.Response:
    """The key pressed in a paging call (``<Gather>``'s action): ``1`` acknowledges the call's page."""
    checked = await _verified(request)
    if isinstance(checked, web.Response):
        return checked
    app, form = checked
    sid = form.get("CallSid", "")
    if not SID.fullmatch(sid):
        return web.Response(status=400, text="CallSid is missing.\n")
    config: OncallConfig = app.section("oncall")
    page_text, person = request.query.get("page", ""), request.query.get("person", "")
    found = config.people.get(person)
    if not page_text.isdigit() or len(page_text) > 9 or found is None:
        return twiml(_say("This call cannot acknowledge anything. Acknowledge in chat. Goodbye."))
    page_id = int(page_text)
    if found.phone is None or found.phone not in (form.get("To"), form.get("From")):
        return twiml(_say(f"This call was not to {person}'s number: nothing acknowledged. Goodbye."))
    digits = form.get("Digits", "")

    async def write(tx: Tx) -> Answer | None:
        if not await _first_time(tx, app, f"voice:{sid}"):
            return None
        if digits != "1":
            pressed = f"You pressed {digits}" if digits else "No key pressed"
            return Answer(f"{pressed}: P-{page_id} is not acknowledged and escalation goes on. Goodbye.")
        answer = await acknowledge(tx, app, person, page_id, "voice")
        return Answer(f"{answer.text} Goodbye.", answer.acknowledged)

    answer = await app.db.write(write)
    if answer is None:
        return twiml()
    if answer.acknowledged is not None:
        await paging.show_acknowledged(app, answer.acknowledged)
    return twiml(_say(answer.text))


def routes() -> list[Any]:
    return [web.post(SMS_PATH, sms), web.post(VOICE_PATH, voice)]

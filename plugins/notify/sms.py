"""The ``sms`` and ``voice`` channels: a text message or a phone call through Twilio's REST API.

Both POST a form (HTTP Basic auth, AccountSid:AuthToken) to the account's
``Messages.json`` or ``Calls.json``.  The text says how to acknowledge:
reply ``ACK`` (answered by ``/notify/twilio/sms``), or the acknowledge
link.  The call reads the headline and gathers one key; ``1`` is answered
by ``/notify/twilio/voice``, whose URL carries the page and the person and
is signed by Twilio with the rest of the request.

Twilio takes no idempotency key for a new message or call: a delivery sent
but not yet stored as sent when the process died is sent again (at least
once).  The auth token goes in the Authorization header only: never in a
URL, a message, a reason or a log line.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape, quoteattr

import aiohttp

from chatops.deliveries import DeliveryError
from chatops.storage.db import redact
from chatops_plugins.notify import links
from chatops_plugins.notify.channel import Channel, Notification
from chatops_plugins.notify.config import TwilioConfig
from chatops_plugins.oncall.config import PersonConfig

if TYPE_CHECKING:
    from chatops.app import App

log = logging.getLogger("chatops.notify")
API_VERSION = "2010-04-01"
SMS_PATH, VOICE_PATH = "/notify/twilio/sms", "/notify/twilio/voice"
HEADLINE_MAX = 600  # a message is at most 1,600 characters; a call should not read an essay


def _short(text: str, limit: int = HEADLINE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _spoken(text: str) -> str:
    """Text fit for <Say> in XML: no control characters (invalid in XML), no dots as separators."""
    text = "".join(c if c.isprintable() else " " for c in text)
    return escape(text.replace(" · ", ", "))


def _reason(twilio: TwilioConfig, status: int, body: str) -> str:
    """A failure in words: Twilio's error ``message`` and ``code`` when it sent them."""
    try:
        found = json.loads(body)
    except ValueError:
        found = None
    message = code = None
    if isinstance(found, dict):
        message, code = found.get("message"), found.get("code")
    detail = f"HTTP {status}"
    if code is not None:
        detail += f", error {code}"
    if message:
        detail += f": {_short(str(message), 200)}"
    if status == 401:
        reason = f"Twilio refused the credentials ({detail}); check notify.twilio.account_sid and auth_token"
    else:
        reason = f"Twilio answered {detail}"
    token = twilio.auth_token.get_secret_value()
    return reason.replace(token, "***") if token else reason


async def create(twilio: TwilioConfig, resource: str, form: dict[str, str]) -> str:
    """POST ``form`` to the account's ``<resource>.json``; the new resource's sid.

    Raises ``DeliveryError`` (retried by the deliveries) on a refusal or when Twilio cannot be reached.
    """
    account = quote(twilio.account_sid, safe="")
    url = f"{twilio.api_url.rstrip('/')}/{API_VERSION}/Accounts/{account}/{resource}.json"
    pair = f"{twilio.account_sid}:{twilio.auth_token.get_secret_value()}".encode()
    headers = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
            async with http.post(url, data=form, headers=headers) as answer:
                body = (await answer.read()).decode("utf-8", errors="replace")
                if not 200 <= answer.status < 300:
                    raise DeliveryError(_reason(twilio, answer.status, body))
    except (aiohttp.ClientError, TimeoutError) as exc:
        where = redact(twilio.api_url)
        raise DeliveryError(f"could not reach Twilio at {where} ({type(exc).__name__})") from None
    try:
        sid = json.loads(body).get("sid")
    except (ValueError, AttributeError):
        sid = None
    return str(sid) if sid else "?"


class _TwilioChannel(Channel):
    wants = "phone number (oncall.people.<key>.phone, E.164)"

    def __init__(self, app: App, twilio: TwilioConfig) -> None:
        super().__init__(app)
        self.twilio = twilio

    def address(self, person: PersonConfig) -> str | None:
        return person.phone

    @property
    def public_url(self) -> str | None:
        found = links.settings(self.app).public_url
        return found.rstrip("/") if found else None

    async def post(self, notification: Notification, resource: str, **fields: str) -> None:
        form = {"To": notification.to, "From": self.twilio.from_number, **fields}
        sid = await create(self.twilio, resource, form)
        what, who = notification.page_ref, notification.person
        log.info("%s for %s to @%s accepted by Twilio as %s", self.name, what, who, sid)


class SmsChannel(_TwilioChannel):
    name = "sms"

    def text(self, notification: Notification) -> str:
        if notification.test:
            return f"Test page from chatops (sms).\n{notification.how_to_ack}"
        lines = [f"You are paged: {_short(notification.headline)}"]
        if self.public_url is None:  # nobody would hear a reply
            lines.append(notification.how_to_ack)
        elif notification.link:
            lines.append(f"Reply ACK to acknowledge, or open {notification.link}")
        else:
            lines.append("Reply ACK to acknowledge.")
        return "\n".join(lines)

    async def send(self, notification: Notification, delivery_id: str) -> None:
        await self.post(notification, "Messages", Body=self.text(notification))


class VoiceChannel(_TwilioChannel):
    name = "voice"

    def action(self, notification: Notification) -> str | None:
        """Where Twilio posts the key pressed: the page and the person ride in the (signed) URL."""
        if self.public_url is None or notification.test:
            return None
        query = urlencode({"page": notification.page_id, "person": notification.person})
        return f"{self.public_url}{VOICE_PATH}?{query}"

    def twiml(self, notification: Notification) -> str:
        if notification.test:
            said = "This is a test page from chat ops. Nothing to acknowledge. Goodbye."
            return f"<Response><Say>{escape(said)}</Say></Response>"
        headline = _spoken(f"You are paged. {_short(notification.headline)}.")
        action = self.action(notification)
        if action is None:
            how = escape(f"Acknowledge in chat: ack {notification.page_ref}. Goodbye.")
            return f"<Response><Say>{headline}</Say><Say>{how}</Say></Response>"
        return (
            f'<Response><Gather numDigits="1" method="POST" timeout="10" action={quoteattr(action)}>'
            f"<Say>{headline}</Say><Say>Press 1 to acknowledge.</Say>"
            f"<Say>{headline}</Say><Say>Press 1 to acknowledge.</Say></Gather>"
            "<Say>No key pressed: the page is not acknowledged. Goodbye.</Say></Response>"
        )

    async def send(self, notification: Notification, delivery_id: str) -> None:
        await self.post(notification, "Calls", Twiml=self.twiml(notification))

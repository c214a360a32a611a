"""SMS and voice pages through Twilio: sent to a local fake of its REST API, acknowledged by signed webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import socket
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from fake_twilio import FakeTwilio
from sqlalchemy import select

from chatops.config import ConfigError
from chatops.deliveries import DeliveryError
from chatops.storage.tables import deliveries
from chatops.testing import Harness
from chatops.web import build_web_app
from chatops_plugins.notify import twilio_webhook
from chatops_plugins.notify.channel import Notification
from chatops_plugins.notify.config import TwilioConfig
from chatops_plugins.notify.sms import SmsChannel
from chatops_plugins.notify.tables import inbound
from chatops_plugins.oncall import paging

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "s3cr3t-auth-token-7f1c2b"
OUR_NUMBER = "+15005550006"
ALICE, BOB = "+4915112345678", "+14155550100"
PUBLIC = "https://chatops.example.org"


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's documented algorithm, written out here independently of the code under test."""
    data = url
    for name in sorted(params):
        data += name + params[name]
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def settings(base: str, **twilio: Any) -> dict[str, Any]:
    return {
        "timezone": "Europe/Berlin",
        "oncall": {
            "people": {
                "alice": {
                    "accounts": ["test:alice"],
                    "phone": ALICE,
                    "notify": [{"channel": "chat"}, {"channel": "sms"}, {"channel": "voice", "after": "2m"}],
                },
                "bob": {"accounts": ["test:bob"], "phone": BOB, "notify": [{"channel": "chat"}]},
            },
            "policies": {
                "alice-first": {
                    "steps": [
                        {"targets": ["user:alice"], "after": "5m"},
                        {"targets": ["user:bob"], "after": "5m"},
                    ]
                }
            },
            "severity_policies": {1: "alice-first", 2: "alice-first"},
        },
        "notify": {
            "public_url": PUBLIC,
            "link_secret": "link-secret-for-tests",
            "twilio": {
                "api_url": base,
                "account_sid": ACCOUNT,
                "auth_token": TOKEN,
                "from_number": OUR_NUMBER,
                **twilio,
            },
        },
    }


@pytest_asyncio.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio(ACCOUNT, TOKEN)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def chat_config(twilio: FakeTwilio) -> dict[str, Any]:
    return settings(twilio.url)


@pytest_asyncio.fixture
async def web(chat: Harness) -> AsyncIterator[TestClient[Any, Any]]:
    client: TestClient[Any, Any] = TestClient(TestServer(build_web_app(chat.app)))
    await client.start_server()
    yield client
    await client.close()


Post = Callable[..., Any]


@pytest.fixture
def twilio_post(web: TestClient[Any, Any]) -> Post:
    """POST ``params`` to ``path`` (with its query) as Twilio would: signed over PUBLIC + path."""

    async def post(
        path: str, params: dict[str, str], *, token: str = TOKEN, url: str | None = None, signed: bool = True
    ) -> tuple[ClientResponse, str]:
        headers = {}
        if signed:
            headers["X-Twilio-Signature"] = twilio_signature(token, url or PUBLIC + path, params)
        answer = await web.post(path, data=params, headers=headers)
        return answer, await answer.text()

    return post


def inbound_sms(sid: str, body: str, sender: str = ALICE) -> dict[str, str]:
    """The parameters Twilio posts for an incoming SMS."""
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": OUR_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


def reply_of(twiml: str) -> str:
    root = ET.fromstring(twiml)
    assert root.tag == "Response"
    return " ".join(element.text or "" for element in root)


async def state(chat: Harness, page_id: int) -> str:
    async with chat.app.db.read() as conn:
        page = await paging.get(conn, page_id)
    assert page is not None
    return page.state


async def inbound_keys(chat: Harness) -> list[str]:
    async with chat.app.db.read() as conn:
        return [row.key for row in await conn.execute(select(inbound.c.key))]


def test_the_signature_is_twilios_published_example() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert twilio_webhook.signature("12345", url, params.items()) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


async def test_a_page_texts_then_calls_through_twilio(chat: Harness, twilio: FakeTwilio) -> None:
    await chat.say('!page @alice "Checkout <down> & out"', user="bob")
    assert len(twilio.received) == 1 and not twilio.calls
    [sms] = twilio.messages
    assert sms.authorization == twilio.expected_authorization()
    assert sms.account == ACCOUNT
    assert sms.form["To"] == ALICE and sms.form["From"] == OUR_NUMBER
    headline, how = sms.form["Body"].split("\n")
    assert headline == "You are paged: P-1: Checkout <down> & out"
    assert how.startswith(f"Reply ACK to acknowledge, or open {PUBLIC}/notify/ack/")

    await chat.advance("2m")
    assert len(twilio.messages) == 1
    [call] = twilio.calls
    assert call.authorization == twilio.expected_authorization()
    assert call.form["To"] == ALICE and call.form["From"] == OUR_NUMBER
    twiml = ET.fromstring(call.form["Twiml"])  # well-formed: the headline is escaped
    gather = twiml.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    assert gather.get("action") == f"{PUBLIC}/notify/twilio/voice?page=1&person=alice"
    said = [say.text for say in gather.iter("Say")]
    assert said[:2] == ["You are paged. P-1: Checkout <down> & out.", "Press 1 to acknowledge."]
    assert TOKEN not in call.form["Twiml"] + sms.form["Body"]


async def test_an_sms_reply_acknowledges_once(chat: Harness, twilio: FakeTwilio, twilio_post: Post) -> None:
    await chat.say('!incident declare "Checkout down" --sev 1', user="bob")  # P-1, for INC-1
    await chat.say('!page @alice "Search slow"', user="bob")  # P-2, the latest
    assert [m.form["To"] for m in twilio.messages] == [ALICE, ALICE]
    path = "/notify/twilio/sms"

    answer, twiml = await twilio_post(path, inbound_sms("SM01", "ack"))
    assert answer.status == 200 and answer.content_type == "text/xml"
    assert reply_of(twiml) == "Acknowledged P-2: escalation stopped. P-1 is still open: reply ACK P-1"
    assert await state(chat, 2) == paging.ACKNOWLEDGED and await state(chat, 1) == paging.OPEN
    assert any("✅ P-2 acknowledged by @alice" in text for _, text in chat.transport.edits)

    # Twilio retries the same message: answered, and P-1 (now the latest) is not touched
    edits = len(chat.transport.edits)
    answer, twiml = await twilio_post(path, inbound_sms("SM01", "ack"))
    assert answer.status == 200 and reply_of(twiml) == ""
    assert await state(chat, 1) == paging.OPEN and len(chat.transport.edits) == edits

    answer, twiml = await twilio_post(path, inbound_sms("SM02", "ACK P-1"))
    assert reply_of(twiml) == "Acknowledged P-1: escalation stopped."
    assert await state(chat, 1) == paging.ACKNOWLEDGED
    timeline = await chat.reply("!incident timeline --id 1", user="bob")
    assert "page_acknowledged: P-1 acknowledged by @alice" in timeline
    assert sorted(await inbound_keys(chat)) == ["sms:SM01", "sms:SM02"]

    answer, twiml = await twilio_post(path, inbound_sms("SM03", "Ack P-1."))
    assert reply_of(twiml).startswith("P-1 was already acknowledged by @alice at ")
    _, twiml = await twilio_post(path, inbound_sms("SM04", "ACK"))
    assert reply_of(twiml) == "You have no open page: nothing to acknowledge."
    _, twiml = await twilio_post(path, inbound_sms("SM05", "what is going on?"))
    assert reply_of(twiml) == "Reply ACK to acknowledge your latest page, or ACK P-17 for a given one."
    _, twiml = await twilio_post(path, inbound_sms("SM06", "ACK", sender="+447700900123"))
    assert reply_of(twiml) == (
        "This number is not on the on-call list: nothing was acknowledged. Acknowledge in chat: !ack"
    )


async def test_a_forged_or_tampered_sms_changes_nothing(
    chat: Harness, web: TestClient[Any, Any], twilio_post: Post
) -> None:
    await chat.say('!page @alice "Checkout down"', user="bob")
    path = "/notify/twilio/sms"
    signed = inbound_sms("SM01", "hello")
    tampered = {**signed, "Body": "ACK"}
    headers = {"X-Twilio-Signature": twilio_signature(TOKEN, PUBLIC + path, signed)}
    assert (await web.post(path, data=tampered, headers=headers)).status == 403
    for answer, _ in [
        await twilio_post(path, inbound_sms("SM01", "ACK"), signed=False),
        await twilio_post(path, inbound_sms("SM01", "ACK"), token="not-the-token"),
        await twilio_post(path, inbound_sms("SM01", "ACK"), url=f"https://evil.example{path}"),
    ]:
        assert answer.status == 403
    assert await state(chat, 1) == paging.OPEN
    assert await inbound_keys(chat) == []
    assert not chat.transport.edits
    # …and the genuine message is still handled (the refused ones did not spend its MessageSid)
    answer, twiml = await twilio_post(path, inbound_sms("SM01", "ACK"))
    assert reply_of(twiml) == "Acknowledged P-1: escalation stopped."


async def test_a_key_press_acknowledges_the_calls_page(
    chat: Harness, twilio: FakeTwilio, twilio_post: Post
) -> None:
    await chat.say('!page @alice "Checkout down"', user="bob")
    await chat.advance("2m")
    gather = ET.fromstring(twilio.calls[0].form["Twiml"]).find("Gather")
    assert gather is not None
    action = urlsplit(gather.get("action", ""))
    path = f"{action.path}?{action.query}"

    def gathered(call: str, digits: str) -> dict[str, str]:
        return {
            "AccountSid": ACCOUNT,
            "CallSid": call,
            "CallStatus": "in-progress",
            "Digits": digits,
            "Direction": "outbound-api",
            "From": OUR_NUMBER,
            "To": ALICE,
        }

    answer, twiml = await twilio_post(path, gathered("CA01", "2"))
    assert answer.status == 200
    assert reply_of(twiml) == "You pressed 2: P-1 is not acknowledged and escalation goes on. Goodbye."
    assert await state(chat, 1) == paging.OPEN

    # the page and the person are part of what Twilio signed: another page is refused
    forged, _ = await twilio_post(
        "/notify/twilio/voice?page=2&person=alice", gathered("CA02", "1"), url=PUBLIC + path
    )
    assert forged.status == 403

    answer, twiml = await twilio_post(path, gathered("CA02", "1"))
    assert reply_of(twiml) == "Acknowledged P-1: escalation stopped. Goodbye."
    assert await state(chat, 1) == paging.ACKNOWLEDGED
    assert any("✅ P-1 acknowledged by @alice" in text for _, text in chat.transport.edits)
    answer, twiml = await twilio_post(path, gathered("CA02", "1"))  # Twilio retried
    assert answer.status == 200 and reply_of(twiml) == ""
    assert not [m for m in await chat.advance("30m") if "P-1" in m.text]  # no more steps


async def test_twilio_failures_are_retried_told_and_hurry_the_next_rule(
    chat: Harness, twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    twilio.fail("Messages", 429, code=20429, message="Too Many Requests")
    twilio.fail("Messages", 500, times=2)
    sent = await chat.say('!page @alice "Checkout down"', user="bob")
    told = [m.text for m in sent if m.room == "lobby" and m.text.startswith("⚠️")]
    assert told == [
        "⚠️ P-1: sms to @alice failed (Twilio answered HTTP 429, error 20429: Too Many Requests); retrying."
    ]
    assert not await chat.advance("9s")  # the retry waits 10 s
    assert not [m for m in await chat.advance("1s") if m.text.startswith("⚠️")]  # attempt 2: not repeated
    assert not twilio.calls
    sent = await chat.advance("20s")  # attempt 3 = notify.escalate_after: the voice rule goes now
    told = [m.text for m in sent if m.text.startswith("⚠️")]
    assert told == [
        "⚠️ P-1: sms to @alice failed (Twilio answered HTTP 500); their next rule (voice) goes now; retrying."
    ]
    assert len(twilio.calls) == 1
    assert not twilio.messages
    await chat.advance("40s")  # attempt 4 goes through
    assert len(twilio.messages) == 1
    assert len([r for r in twilio.received if r.resource == "Messages"]) == 4  # 3 failed, 1 taken
    await chat.advance("2m")
    assert len(twilio.calls) == 1  # the hurried rule does not go twice

    everything = caplog.text + "\n".join(m.text for m in chat.transport.sent)
    assert TOKEN not in everything


async def test_refused_credentials_are_said_without_the_token(
    chat_factory: Callable[..., Any], twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "an-0ld-t0ken-rotated-away"
    chat: Harness = await chat_factory(config=settings(twilio.url, auth_token=wrong))
    sent = await chat.say('!page @alice "Checkout down"', user="bob")
    assert [m.text for m in sent if m.text.startswith("⚠️")] == [
        "⚠️ P-1: sms to @alice failed (Twilio refused the credentials (HTTP 401, error 20003: "
        "Authenticate); check notify.twilio.account_sid and auth_token); retrying."
    ]
    async with chat.app.db.read() as conn:
        errors = [row.error or "" for row in await conn.execute(select(deliveries))]
    assert errors and all("401" in e for e in errors)
    everything = caplog.text + "".join(errors) + "\n".join(m.text for m in chat.transport.sent)
    assert wrong not in everything and TOKEN not in everything
    assert wrong not in repr(chat.app.section("notify"))


async def test_an_unreachable_twilio_is_a_delivery_error(chat: Harness) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = TwilioConfig(
        api_url=f"http://127.0.0.1:{port}", account_sid=ACCOUNT, auth_token=TOKEN, from_number=OUR_NUMBER
    )
    notification = Notification(1, "P-1", "alice", "sms", ALICE, "P-1: down", None, 0, 0)
    with pytest.raises(DeliveryError) as failed:
        await SmsChannel(chat.app, config).send(notification, "notify.sms:1")
    assert str(failed.value) == f"could not reach Twilio at http://127.0.0.1:{port} (ClientConnectorError)"


async def test_routes_and_channels_exist_only_with_twilio_configured(
    chat_factory: Callable[..., Any],
) -> None:
    chat: Harness = await chat_factory(config={"oncall": settings("http://x")["oncall"]})
    rules = await chat.reply("!notify rules", user="alice")
    assert "2. sms at once — ⚠️ unknown channel (channels: chat); skipped" in rules
    client: TestClient[Any, Any] = TestClient(TestServer(build_web_app(chat.app)))
    await client.start_server()
    try:
        assert (await client.post("/notify/twilio/sms", data=inbound_sms("SM1", "ACK"))).status == 404
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("from_number", "0151 1234567", "'0151 1234567' is not a phone number in E.164 (e.g. +15005550006)"),
        ("api_url", "api.twilio.com", "String should match pattern"),
    ],
)
async def test_bad_twilio_config_is_a_clear_error(
    chat_factory: Callable[..., Any], field: str, value: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as bad:
        await chat_factory(config=settings("http://127.0.0.1:9", **{field: value}))
    assert f"notify.twilio.{field}" in str(bad.value) and problem in str(bad.value)
    assert TOKEN not in str(bad.value)


async def test_without_a_public_url_the_text_and_the_call_say_to_acknowledge_in_chat(
    chat_factory: Callable[..., Any], twilio: FakeTwilio
) -> None:
    config = settings(twilio.url)
    config["notify"] = {k: v for k, v in config["notify"].items() if k not in ("public_url", "link_secret")}
    chat: Harness = await chat_factory(config=config)
    await chat.say('!page @alice "Checkout down"', user="bob")
    await chat.advance("2m")
    assert (
        twilio.messages[0].form["Body"] == "You are paged: P-1: Checkout down\nAcknowledge in chat: !ack P-1"
    )
    twiml = ET.fromstring(twilio.calls[0].form["Twiml"])
    assert twiml.find("Gather") is None  # nobody would hear the key pressed
    assert [say.text for say in twiml] == [
        "You are paged. P-1: Checkout down.",
        "Acknowledge in chat: ack P-1. Goodbye.",
    ]
    client: TestClient[Any, Any] = TestClient(TestServer(build_web_app(chat.app)))
    await client.start_server()
    try:  # nothing to check a signature against: refused
        assert (await client.post("/notify/twilio/sms", data=inbound_sms("SM1", "ACK"))).status == 403
    finally:
        await client.close()
    assert await state(chat, 1) == paging.OPEN


async def test_notify_test_texts_and_calls_with_nothing_to_acknowledge(
    chat: Harness, twilio: FakeTwilio
) -> None:
    answer = await chat.reply("!notify test", user="alice")
    assert answer == (f"Test sent by chat, sms ({ALICE}), voice ({ALICE}). A failure will be reported here.")
    [sms] = twilio.messages
    assert sms.form["Body"] == "Test page from chatops (sms).\nThis is a test: nothing to acknowledge."
    [call] = twilio.calls
    assert [say.text for say in ET.fromstring(call.form["Twiml"])] == [
        "This is a test page from chat ops. Nothing to acknowledge. Goodbye."
    ]

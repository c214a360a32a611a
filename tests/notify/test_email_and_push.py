"""Pages reach people by e-mail and push after chat, as their rules say, and stop at the first acknowledgement.

The mail server is a real SMTP server (aiosmtpd, STARTTLS with a test CA, AUTH
required); ntfy is a local server speaking its JSON publish API.
"""

from __future__ import annotations

import asyncio
import email
import logging
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import trustme
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from fake_twilio import FakeTwilio

from chatops.config import ConfigError
from chatops.testing import Harness, local_server
from chatops.web import build_web_app

MAIL_PASSWORD, NTFY_TOKEN, LINK_SECRET = "mail-pass-123", "ntfy-tok-456", "link-secret-789-abcdef"


class Inbox:
    """A real SMTP server's handler: keeps what it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.logins: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"chatops",
            MAIL_PASSWORD.encode(),
        )
        if ok:
            self.logins.append(data.login)
        return AuthResult(success=ok)


@pytest_asyncio.fixture
async def smtp(tmp_path: Path) -> AsyncIterator[tuple[Inbox, int, str]]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    inbox = Inbox()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(
            inbox,
            hostname="mail.test",
            tls_context=context,
            require_starttls=True,
            authenticator=inbox.authenticate,
        ),
        "127.0.0.1",
        0,
    )
    yield inbox, server.sockets[0].getsockname()[1], str(tmp_path / "ca.pem")
    server.close()
    await server.wait_closed()


class Ntfy:
    def __init__(self) -> None:
        self.published: list[tuple[dict[str, Any], str]] = []
        self.status = 200

    async def publish(self, request: web.Request) -> web.Response:
        self.published.append((await request.json(), request.headers.get("Authorization", "")))
        return web.json_response({"id": "x1"}, status=self.status)


@pytest_asyncio.fixture
async def ntfy() -> AsyncIterator[tuple[Ntfy, str]]:
    fake = Ntfy()
    app = web.Application()
    app.router.add_post("/", fake.publish)
    async with local_server(app) as url:
        yield fake, url


def settings(smtp_port: int, ca_file: str, ntfy_url: str, **alice: Any) -> dict[str, Any]:
    person = {
        "accounts": ["test:alice"],
        "email": "alice@example.org",
        "ntfy_topic": "alice-pager",
        "notify": [
            {"channel": "chat"},
            {"channel": "email", "after": "2m"},
            {"channel": "push", "after": "5m"},
        ],
        **alice,
    }
    return {
        "oncall": {
            "people": {"alice": person, "bob": {"accounts": ["test:bob"]}},
            "policies": {"default": {"steps": [{"targets": ["user:alice"], "after": "30m"}]}},
        },
        "notify": {
            "public_url": "https://chatops.example.org",
            "link_secret": LINK_SECRET,
            "smtp": {
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "starttls",
                "username": "chatops",
                "password": MAIL_PASSWORD,
                "sender": "chatops <oncall@example.org>",
                "ca_file": ca_file,
            },
            "ntfy": {"url": ntfy_url, "token": NTFY_TOKEN},
        },
    }


Setup = Callable[..., Awaitable[Harness]]


@pytest.fixture
def start(chat_factory: Setup, smtp: tuple[Inbox, int, str], ntfy: tuple[Ntfy, str]) -> Setup:
    async def make(**alice: Any) -> Harness:
        return await chat_factory(config=settings(smtp[1], smtp[2], ntfy[1], **alice))

    return make


def link_in(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"https://chatops\.example\.org(/notify/ack/\S+)", body.decode())
    assert found, body
    return found.group(1)


async def test_chat_then_email_then_push_and_the_email_link_stops_the_rest(
    start: Setup, smtp: tuple[Inbox, int, str], ntfy: tuple[Ntfy, str]
) -> None:
    inbox, pushes = smtp[0], ntfy[0]
    chat = await start()
    sent = await chat.say('!page alice "disk full on db-1"', user="bob")
    assert any(m.room == "@alice" and "You are paged: P-1: disk full on db-1" in m.text for m in sent)
    await chat.advance("1m59s")
    assert inbox.messages == []

    await chat.advance("1s")  # the e-mail rule: 2 minutes after the page
    [mail] = inbox.messages
    assert mail["To"] == "alice@example.org" and mail["Subject"] == "Paged: P-1: disk full on db-1"
    assert inbox.logins == [b"chatops"]  # authenticated, after STARTTLS (the server requires it)
    path = link_in(mail)

    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        shown = await client.get(path)  # what a mail scanner or a preview fetches: changes nothing
        assert shown.status == 200 and "Acknowledge P-1 as alice?" in await shown.text()
        assert chat.transport.edits == []
        acked = await client.post(path)
        assert acked.status == 200 and "P-1 acknowledged: escalation stopped." in await acked.text()
        again = await client.post(path)
        assert again.status == 410 and "already used" in await again.text()
        forged = await client.post(path[:-3] + "AAA")
        assert forged.status == 404

    await chat.advance("1h")
    assert pushes.published == [] and len(inbox.messages) == 1  # nothing after the acknowledgement
    edited = [text for _, text in chat.transport.edits]
    assert edited and all(t.startswith("✅ P-1 acknowledged by @alice at ") for t in edited)


async def test_push_is_urgent_and_its_acknowledge_action_acknowledges(
    start: Setup, ntfy: tuple[Ntfy, str]
) -> None:
    pushes = ntfy[0]
    chat = await start(notify=[{"channel": "push"}])
    await chat.say('!page alice "disk full on db-1"', user="bob")
    [(body, auth)] = pushes.published
    assert auth == f"Bearer {NTFY_TOKEN}"
    assert body["topic"] == "alice-pager" and body["priority"] == 5 and body["title"] == "Paged: P-1"
    [action] = body["actions"]
    assert action["action"] == "http" and action["method"] == "POST" and action["label"] == "Acknowledge"
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        tapped = await client.post(action["url"].removeprefix("https://chatops.example.org"))
        assert tapped.status == 200


async def test_a_failing_mail_server_is_retried_then_the_next_rule_goes_at_once(
    start: Setup, smtp: tuple[Inbox, int, str], ntfy: tuple[Ntfy, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat = await start(notify=[{"channel": "email"}, {"channel": "push", "after": "10m"}])
    chat.app.section("notify").smtp.port = 9  # nothing listens there
    await chat.say('!page alice "disk full on db-1"', user="bob")
    [failed] = [m.text for m in chat.messages("lobby") if "email to @alice failed" in m.text]
    assert failed.startswith("⚠️ P-1: email to @alice failed (could not reach the mail server 127.0.0.1:9")
    assert failed.endswith("; retrying.")
    await chat.advance("29s")  # attempts at 0, 10 s and 30 s: the third failure moves on
    assert ntfy[0].published == []
    await chat.advance("1s")
    told = [m.text for m in chat.messages("lobby") if "email to @alice failed" in m.text]
    assert len(told) == 2 and told[1].endswith("; their next rule (push) goes now; retrying.")
    assert len(ntfy[0].published) == 1  # at 30 s, not at 10 minutes
    everything = "\n".join(m.text for m in chat.messages()) + caplog.text
    assert MAIL_PASSWORD not in everything and NTFY_TOKEN not in everything and LINK_SECRET not in everything


async def test_someone_without_an_address_gets_their_next_rule_at_once(
    start: Setup, ntfy: tuple[Ntfy, str]
) -> None:
    chat = await start(email=None, notify=[{"channel": "email"}, {"channel": "push", "after": "10m"}])
    await chat.say('!page alice "disk full on db-1"', user="bob")
    assert any(
        m.text == "⚠️ P-1: @alice has no e-mail address (oncall.people.<key>.email) for the email rule; "
        "their next rule (push) goes now."
        for m in chat.messages("lobby")
    )
    await chat.advance("1s")  # the push rule, brought forward to now, fires (not in 10 minutes)
    assert len(ntfy[0].published) == 1


async def test_an_expired_link_is_refused(start: Setup, smtp: tuple[Inbox, int, str]) -> None:
    chat = await start(notify=[{"channel": "email"}])
    await chat.say('!page alice "disk full on db-1"', user="bob")
    path = link_in(smtp[0].messages[0])
    await chat.advance("61m")
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        late = await client.post(path)
        assert (
            late.status == 410 and "This link has expired. Acknowledge in chat: !ack P-1" in await late.text()
        )


async def test_people_see_their_rules_and_can_test_them(
    start: Setup, smtp: tuple[Inbox, int, str], ntfy: tuple[Ntfy, str]
) -> None:
    chat = await start(
        notify=[{"channel": "chat"}, {"channel": "email", "after": "2m"}, {"channel": "pager"}]
    )
    rules = await chat.reply("!notify rules", user="alice")
    assert rules.splitlines()[:4] == [
        "How a page reaches @alice:",
        "1. chat at once",
        "2. email after 2m — alice@example.org",
        "3. pager at once — ⚠️ unknown channel (channels: chat, email, push); skipped",
    ]
    sent = await chat.say("!notify test", user="alice")
    assert [m.text for m in sent if m.room == "lobby"] == [
        "Test sent by chat, email (alice@example.org). Not sent: pager: unknown channel. "
        "A failure will be reported here."
    ]
    assert smtp[0].messages[0]["Subject"] == "[test] Paged: Test page from chatops"
    assert (await chat.reply("!notify rules", user="carol")).startswith("You are not in the on-call config")


@pytest.mark.parametrize(
    ("alice", "problem"),
    [
        ({"email": "alice at example"}, "'alice at example' is not an e-mail address"),
        ({"phone": "0151 123"}, "'0151 123' is not a phone number in E.164"),
        ({"ntfy_topic": "alice pager!"}, "is not an ntfy topic"),
    ],
)
async def test_contact_details_that_do_not_validate_stop_the_start(
    start: Setup, alice: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)):
        await start(**alice)


@pytest_asyncio.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio("AC0123456789abcdef0123456789abcdef", "twilio-token-0123456789")
    await fake.start()
    yield fake
    await fake.close()


async def test_chat_email_push_sms_each_in_turn_and_the_email_link_stops_every_later_step(
    chat_factory: Setup, smtp: tuple[Inbox, int, str], ntfy: tuple[Ntfy, str], twilio: FakeTwilio
) -> None:
    inbox, pushes = smtp[0], ntfy[0]
    config = settings(smtp[1], smtp[2], ntfy[1])
    rules = [
        {"channel": "chat"},
        {"channel": "email", "after": "2m"},
        {"channel": "push", "after": "5m"},
        {"channel": "sms", "after": "10m"},
    ]
    phones = {"alice": "+4915112345678", "bob": "+4915187654321"}
    for person, phone in phones.items():
        config["oncall"]["people"][person].update(
            email=f"{person}@example.org", ntfy_topic=f"{person}-pager", phone=phone, notify=rules
        )
    config["notify"]["twilio"] = {
        "api_url": twilio.url,
        "account_sid": twilio.account_sid,
        "auth_token": twilio.auth_token,
        "from_number": "+15005550006",
    }
    chat = await chat_factory(config=config)

    # bob's page is never acknowledged: every rule goes, each at its time
    await chat.say('!page bob "queue backlog growing"', user="alice")
    # alice's page is acknowledged from the e-mail link at 3 minutes
    await chat.say('!page alice "disk full on db-1"', user="bob")
    await chat.advance("2m")
    mails = {m["To"]: m for m in inbox.messages}
    assert set(mails) == {"alice@example.org", "bob@example.org"}
    await chat.advance("1m")
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        assert (await client.post(link_in(mails["alice@example.org"]))).status == 200

    await chat.advance("2m")  # 5 minutes: push
    assert [body["topic"] for body, _ in pushes.published] == ["bob-pager"]
    await chat.advance("5m")  # 10 minutes: SMS
    assert [m.form["Body"].splitlines()[0] for m in twilio.messages] == [
        "You are paged: P-1: queue backlog growing"
    ]
    await chat.advance("1h")  # bob's page goes round again; nothing more ever reaches alice
    assert [m["To"] for m in inbox.messages].count("alice@example.org") == 1
    assert [body["topic"] for body, _ in pushes.published].count("alice-pager") == 0
    assert [m.form["To"] for m in twilio.messages].count(phones["alice"]) == 0
    assert phones["bob"] in [m.form["To"] for m in twilio.messages]


async def test_two_rules_on_one_channel_both_go_and_a_headline_of_two_lines_is_one_subject(
    start: Setup, smtp: tuple[Inbox, int, str]
) -> None:
    chat = await start(notify=[{"channel": "email"}, {"channel": "email", "after": "2m"}])
    await chat.say('!page alice "disk full\non db-1"', user="bob")
    await chat.advance("2m")
    assert [m["Subject"] for m in smtp[0].messages] == ["Paged: P-1: disk full on db-1"] * 2

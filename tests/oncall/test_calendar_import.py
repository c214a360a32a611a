"""An external iCal calendar as a schedule layer: parsed, matched to people, fetched, kept."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import ValidationError
from test_paging import ONCALL, texts

from chatops.clock import Clock
from chatops.testing import Harness
from chatops_plugins.oncall import calendars
from chatops_plugins.oncall.config import OncallConfig
from chatops_plugins.oncall.imported import CalendarError, Directory, parse

BERLIN = ZoneInfo("Europe/Berlin")
SECRET_PATH = "/private/s3cr3t-path/cover.ics"

COVER = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//example//cover//EN\r
BEGIN:VEVENT\r
UID:holiday@example\r
DTSTAMP:20260201T000000Z\r
DTSTART;TZID=Europe/Berlin:20260304T090000\r
DTEND;TZID=Europe/Berlin:20260305T090000\r
SUMMARY:Holiday cover: Carol Jones\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weekend@example\r
DTSTAMP:20260201T000000Z\r
DTSTART;TZID=Europe/Berlin:20260321T100000\r
DTEND;TZID=Europe/Berlin:20260321T180000\r
RRULE:FREQ=WEEKLY;COUNT=3\r
SUMMARY:Weekend desk @alice\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:allday@example\r
DTSTAMP:20260201T000000Z\r
DTSTART;VALUE=DATE:20260310\r
DTEND;VALUE=DATE:20260311\r
SUMMARY:On call\r
ATTENDEE;CN=Bob:mailto:Bob@Example.org\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:offsite@example\r
DTSTAMP:20260201T000000Z\r
DTSTART:20260312T080000Z\r
DTEND:20260312T160000Z\r
SUMMARY:Team offsite\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:pair@example\r
DTSTAMP:20260201T000000Z\r
DTSTART:20260313T080000Z\r
DTEND:20260313T160000Z\r
SUMMARY:alice and bob pairing\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:cancelled@example\r
DTSTAMP:20260201T000000Z\r
DTSTART:20260314T080000Z\r
DTEND:20260314T160000Z\r
SUMMARY:@carol\r
STATUS:CANCELLED\r
END:VEVENT\r
END:VCALENDAR\r
"""

DIRECTORY = Directory({"alice": [], "bob": ["bob@example.org"], "carol": ["Carol Jones"]})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_events_become_shifts_of_the_people_they_name() -> None:
    found = parse(COVER, start=utc(2026, 3, 1), end=utc(2026, 5, 1), tz=BERLIN, directory=DIRECTORY)
    assert [(s.starts_at, s.ends_at, s.person) for s in found.shifts] == [
        (utc(2026, 3, 4, 8), utc(2026, 3, 5, 8), "carol"),  # "Carol Jones", an external name
        (utc(2026, 3, 9, 23), utc(2026, 3, 10, 23), "bob"),  # all day in Berlin; attendee e-mail, any case
        (utc(2026, 3, 21, 9), utc(2026, 3, 21, 17), "alice"),  # 10:00-18:00 CET
        (utc(2026, 3, 28, 9), utc(2026, 3, 28, 17), "alice"),
        (utc(2026, 4, 4, 8), utc(2026, 4, 4, 16), "alice"),  # 10:00-18:00 CEST: the rule keeps wall time
    ]
    assert found.unmatched == (
        "Team offsite (names nobody in oncall.people)",
        "alice and bob pairing (names 2 people: alice, bob)",
    )


def test_only_the_horizon_is_expanded() -> None:
    found = parse(COVER, start=utc(2026, 3, 22), end=utc(2026, 3, 29), tz=BERLIN, directory=DIRECTORY)
    assert [s.starts_at for s in found.shifts] == [utc(2026, 3, 28, 9)]


@pytest.mark.parametrize("garbage", ["<html>Sign in</html>", "", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"])
def test_what_is_not_a_calendar_is_refused(garbage: str) -> None:
    with pytest.raises(CalendarError, match="not an iCal calendar"):
        parse(garbage, start=utc(2026, 3, 1), end=utc(2026, 4, 1), tz=BERLIN, directory=DIRECTORY)


def test_a_layer_is_a_rotation_or_a_calendar() -> None:
    people = {"alice": {}}
    both = {"participants": ["alice"], "start": "2026-01-05 09:00", "ical": {"url": "https://x/c.ics"}}
    for layer, error in [
        (both, "either ical or participants and start"),
        ({"name": "cover"}, "needs participants and start (a rotation), or ical"),
        ({"ical": {"url": "ftp://x/c.ics"}}, "an iCal url starts with https://"),
        ({"ical": {"url": "https://x/c.ics", "refresh": "10s"}}, "refresh at most once a minute"),
    ]:
        with pytest.raises(ValidationError, match=re.escape(error)):
            OncallConfig.model_validate({"people": people, "schedules": {"s": {"layers": [layer]}}})


class CalendarHost:
    """A calendar server on loopback: serves ``body`` with ``status`` to the right bearer token."""

    def __init__(self) -> None:
        self.body, self.status, self.requests = COVER, 200, 0
        self.asked = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.asked.set()
        if request.headers.get("Authorization") != "Bearer cal-token":
            return web.Response(status=401)
        return web.Response(status=self.status, text=self.body, content_type="text/calendar")


@pytest_asyncio.fixture
async def host() -> AsyncIterator[tuple[CalendarHost, str]]:
    calendar = CalendarHost()
    app = web.Application()
    app.router.add_get(SECRET_PATH, calendar.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield calendar, str(server.make_url(SECRET_PATH))
    await server.close()


@pytest.fixture
def chat_config(host: tuple[CalendarHost, str]) -> dict[str, Any]:
    _, url = host
    oncall = ONCALL["oncall"]
    people = {**oncall["people"], "carol": {"accounts": ["test:carol"], "external": ["Carol Jones"]}}
    people["bob"] = {**people["bob"], "external": ["bob@example.org"]}
    platform = {
        **oncall["schedules"]["platform"],
        "layers": [
            *oncall["schedules"]["platform"]["layers"],
            {"name": "cover", "ical": {"url": url, "token": "cal-token"}},
        ],
    }
    return {**ONCALL, "oncall": {**oncall, "people": people, "schedules": {"platform": platform}}}


async def who_at(chat: Harness, when: str) -> str:
    return (await chat.reply(f'!oncall who platform --at "{when}"', user="alice")).splitlines()[1].strip()


async def test_a_calendar_layer_covers_over_the_rotation_and_survives_its_host(
    chat: Harness, host: tuple[CalendarHost, str], caplog: pytest.LogCaptureFixture
) -> None:
    calendar, _ = host
    caplog.set_level(logging.DEBUG)
    assert await who_at(chat, "2026-03-04 12:00") == "platform: @bob (primary) until 2026-03-09 09:00 CET"

    assert await chat.reply("!oncall sync platform", user="alice") == "platform/cover: fetched"
    assert await who_at(chat, "2026-03-04 12:00") == "platform: @carol (cover) until 2026-03-05 09:00 CET"
    assert await who_at(chat, "2026-04-04 12:00") == "platform: @alice (cover) until 2026-04-04 18:00 CEST"
    table = await chat.reply("!oncall schedule platform", user="alice")
    assert "Layer cover (calendar): 5 shift(s), fetched 15:00 CET." in table
    assert (
        "⚠️ 2 event(s) name nobody: Team offsite (names nobody in oncall.people); "
        "alice and bob pairing (names 2 people: alice, bob)"
    ) in table

    # the imported cover moves the hand-offs: carol hears of hers when it starts
    handed = await chat.advance("42h")  # Wednesday 09:00 CET
    assert any(t.startswith("🔔 You are on call for platform from now") for t in texts(handed, "@carol"))
    assert "Your on-call shift for platform has ended; @carol has it now." in texts(handed, "@bob")

    # the host fails in every way: each is reported, and the last good copy keeps answering
    for status, body, error in [
        (500, COVER, "The calendar of layer 'cover' answered 500 for its URL"),
        (
            200,
            "<html>Please sign in</html>",
            "not an iCal calendar (it begins '<html>Please sign in</html>')",
        ),
    ]:
        calendar.status, calendar.body = status, body
        assert await chat.reply("!oncall sync", user="alice") == f"platform/cover: failed — {error}"
        assert (await who_at(chat, "2026-03-04 20:00")).startswith("platform: @carol (cover)")
        table = await chat.reply("!oncall schedule platform", user="alice")
        assert f"⚠️ The last fetch (09:00 CET) failed: {error}" in table
        assert "Layer cover (calendar): 5 shift(s), fetched 2026-03-02 15:00 CET." in table

    restarted = await chat.restart()
    assert (await who_at(restarted, "2026-03-04 20:00")).startswith("platform: @carol (cover)")

    secret = "s3cr3t-path"
    assert not any(secret in m.text for m in chat.transport.sent + restarted.transport.sent)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")  # not the host's
    assert "answered 500" in ours and secret not in ours and "cal-token" not in ours
    assert calendar.requests == 3


async def test_a_refused_token_is_reported(chat: Harness, host: tuple[CalendarHost, str]) -> None:
    calendar, _ = host
    calendar.status = 200
    chat.app.section("oncall").schedules["platform"].layers[1].ical.token = None
    answer = await chat.reply("!oncall sync platform", user="alice")
    assert (
        answer
        == "platform/cover: failed — The calendar of layer 'cover' refused the token (401); check its token in the config"
    )
    assert "never fetched" in await chat.reply("!oncall schedule platform", user="alice")


async def test_sync_needs_a_calendar_layer(chat: Harness) -> None:
    chat.app.section("oncall").schedules["platform"].layers.pop()
    assert "platform has no calendar layers" in await chat.reply("!oncall sync platform", user="alice")


async def test_on_a_real_clock_calendars_are_fetched_from_the_start(
    chat: Harness, host: tuple[CalendarHost, str]
) -> None:
    calendar, _ = host
    chat.app.clock = Clock()
    sync = calendars.Sync(chat.app)
    sync.start()
    try:
        await asyncio.wait_for(calendar.asked.wait(), 10)
        assert await sync.run() == {"platform/cover": None}  # after the start-up pass, never beside it
        assert calendar.requests == 2 and not sync.task.done()  # type: ignore[union-attr]
        (status,) = await calendars.status(chat.app, "platform")
        assert status.fetched_at is not None and status.error is None
    finally:
        await sync.stop()
    assert sync.task is None

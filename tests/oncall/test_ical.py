"""Each schedule as an iCal feed behind an unguessable link."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from test_paging import ONCALL

from chatops.testing import Harness
from chatops.web import build_web_app


@pytest.fixture
def chat_config() -> dict[str, Any]:
    oncall = {**ONCALL["oncall"], "ical_secret": "feed-secret-1", "public_url": "https://ops.example.org"}
    return {**ONCALL, "oncall": oncall}


async def test_the_feed_lists_the_shifts_and_needs_its_token(chat: Harness) -> None:
    sent = await chat.say("!oncall ical platform", user="alice")
    link = next(m.text for m in sent if m.room == "@alice").split(": ", 1)[1]
    assert link.startswith("https://ops.example.org/oncall/platform.ics?token=")
    path = link.removeprefix("https://ops.example.org")
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        response = await client.get(path)
        assert response.status == 200 and response.content_type == "text/calendar"
        body = await response.text()
        assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
        assert "SUMMARY:On call: @bob (platform)\r\nEND:VEVENT" in body
        assert "DTSTART:20260302T080000Z\r\nDTEND:20260309T080000Z" in body  # Monday 09:00 CET to Monday
        assert (await client.get("/oncall/platform.ics?token=guess")).status == 401
        assert (await client.get("/oncall/platform.ics")).status == 401
        assert (await client.get("/oncall/nowhere.ics?token=x")).status == 404

"""On-call providers against local fakes of their APIs: PagerDuty's GET /oncalls and a roster service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from chatops.testing import Harness

PD_TOKEN = "pd-test-token-1"


class FakeRosters:
    """PagerDuty's documented ``GET /oncalls`` and an in-house roster, on one loopback server."""

    def __init__(self) -> None:
        self.delay_s = 0.0
        self.pd_calls: list[dict[str, str]] = []
        self.roster_calls: list[str] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> FakeRosters:
        app = web.Application()
        app.router.add_get("/pd/oncalls", self.oncalls)
        app.router.add_get("/roster/{schedule}", self.roster)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    async def oncalls(self, request: web.Request) -> web.Response:
        self.pd_calls.append(dict(request.query))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)  # a slow PagerDuty, not synchronisation
        if request.headers.get("Authorization") != f"Token token={PD_TOKEN}":
            return web.json_response({"error": {"message": "Unauthorized", "code": 2006}}, status=401)
        if request.query.get("schedule_ids[]") != "PSCHED1":
            return web.json_response({"oncalls": []})
        return web.json_response(
            {
                "oncalls": [
                    {
                        "escalation_level": 2,
                        "user": {"id": "PUSER2", "summary": "Bob", "email": "bob@example.org"},
                    },
                    {
                        "escalation_level": 1,
                        "user": {"id": "PUSER1", "summary": "Alice", "email": "ALICE@example.org"},
                    },
                ],
                "limit": 25,
                "offset": 0,
                "more": False,
            }
        )

    async def roster(self, request: web.Request) -> web.Response:
        self.roster_calls.append(request.path_qs)
        if request.headers.get("Authorization") != "Bearer roster-token":
            return web.json_response({"error": "who are you?"}, status=403)
        if request.match_info["schedule"] == "broken":
            return web.Response(text="<html>oops</html>")
        return web.json_response({"data": {"primary": {"email": "bob@example.org"}}})

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest_asyncio.fixture
async def rosters() -> AsyncIterator[FakeRosters]:
    fake = await FakeRosters().start()
    yield fake
    await fake.stop()


def config(rosters: FakeRosters, pd_token: str = PD_TOKEN) -> dict[str, Any]:
    return {
        "oncall": {
            "people": {
                "alice": {"accounts": ["test:alice"], "external": ["alice@example.org"]},
                "bob": {"accounts": ["test:bob"], "external": ["PUSER2", "bob@example.org"]},
            },
            "schedules": {
                "pd": {"provider": "pagerduty", "external_id": "PSCHED1"},
                "roster": {"provider": "roster", "external_id": "platform"},
                "broken": {"provider": "roster"},
            },
        },
        "pagerduty": {"api_url": f"{rosters.url}/pd", "token": pd_token, "timeout_s": 0.5},
        "roster": {
            "url": rosters.url + "/roster/{schedule}?at={at}",
            "person_field": "data.primary.email",
            "token": "roster-token",
        },
    }


async def test_pagerduty_answers_with_the_first_escalation_level(
    chat_factory: Any, rosters: FakeRosters
) -> None:
    chat: Harness = await chat_factory(config=config(rosters))
    assert await chat.reply("!oncall who pd", user="alice") == "On call now:\n  pd: @alice (pagerduty)"
    (call,) = rosters.pd_calls
    assert call["schedule_ids[]"] == "PSCHED1" and call["since"] == "2026-03-02T14:00:00Z"
    assert call["include[]"] == "users"


async def test_pagerduty_errors_are_said_plainly(chat_factory: Any, rosters: FakeRosters) -> None:
    chat: Harness = await chat_factory(config=config(rosters, pd_token="wrong"))
    answer = await chat.reply("!oncall who pd", user="alice")
    assert (
        answer
        == "On call now:\n  pd: nobody — PagerDuty refused the token (401); check its token in the config"
    )


async def test_a_slow_pagerduty_is_cut_off(chat_factory: Any, rosters: FakeRosters) -> None:
    rosters.delay_s = 2.0
    chat: Harness = await chat_factory(config=config(rosters))
    answer = await chat.reply("!oncall who pd", user="alice")
    assert answer == "On call now:\n  pd: nobody — PagerDuty did not answer within 0.5 s"


async def test_a_roster_service_answers_through_a_field_path(chat_factory: Any, rosters: FakeRosters) -> None:
    chat: Harness = await chat_factory(config=config(rosters))
    assert await chat.reply("!oncall who roster", user="alice") == "On call now:\n  roster: @bob (roster)"
    assert rosters.roster_calls == ["/roster/platform?at=2026-03-02T14:00:00Z"]
    broken = await chat.reply("!oncall who broken", user="alice")
    assert (
        broken
        == "On call now:\n  broken: nobody — The roster service answered with something that is not JSON"
    )


async def test_a_page_to_a_provider_schedule_reaches_who_it_names(
    chat_factory: Any, rosters: FakeRosters
) -> None:
    chat: Harness = await chat_factory(config=config(rosters))
    sent = await chat.say('!page pd "queue backlog growing"', user="bob")
    assert any(m.room == "@alice" and "You are paged: P-1: queue backlog growing" in m.text for m in sent)


@pytest.mark.parametrize("provider", ["pagerduty", "roster"])
async def test_providers_leave_other_schedules_alone(
    chat_factory: Any, rosters: FakeRosters, provider: str
) -> None:
    settings = config(rosters)
    settings["oncall"]["schedules"] = {"mine": {"provider": provider, "external_id": "PSCHED1"}}
    chat: Harness = await chat_factory(config=settings)
    assert "mine: @" in await chat.reply("!oncall who mine", user="alice")

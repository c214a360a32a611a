"""``!mitigate``: pre-baked mitigations, confirmed, bounded, permitted, and on the record."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from chatops import hookimpl
from chatops.testing import Harness, local_server
from chatops_plugins.mitigate import Mitigation, MitigationFailed, MitigationRequest, Param
from chatops_plugins.mitigate import store as runs

TOKEN = "deploy-token-s3cr3t"
ROOM = "inc-1-checkout-down"


class DeployService:
    """A local deploy service: records each rollback request, answers as told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        self.status = 200

    async def rollback(self, request: web.Request) -> web.Response:
        self.calls.append((request.path, await request.json(), request.headers.get("Authorization", "")))
        return web.Response(status=self.status, text="rolled back to v41" if self.status < 300 else "boom")


@pytest_asyncio.fixture
async def deploys() -> AsyncIterator[tuple[DeployService, str]]:
    service = DeployService()
    app = web.Application()
    app.router.add_post("/rollback/{service}", service.rollback)
    async with local_server(app) as url:
        yield service, url


def script(tmp_path: Path, name: str, body: str) -> list[str]:
    path = tmp_path / f"{name}.py"
    path.write_text(body)
    return [sys.executable, str(path)]


def settings(base_url: str, tmp_path: Path, **more: Any) -> dict[str, Any]:
    record = script(
        tmp_path,
        "scale",
        "import json, os, sys\n"
        "open(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))\n"
        "print('scaled', sys.argv[2], 'to', sys.argv[3])\n",
    )
    actions: dict[str, Any] = {
        "rollback": {
            "help": "roll back the last deploy",
            "params": {"service": {"type": "choice", "choices": ["checkout-api", "search"]}},
            "webhook": {
                "url": base_url + "/rollback/{service}",
                "headers": {"Authorization": f"Bearer {TOKEN}"},
            },
            "services": ["checkout-api", "search"],
        },
        "scale": {
            "help": "set a service's replicas",
            "params": {"service": {}, "replicas": {"type": "int", "min": 1, "max": 50}},
            "command": [*record, str(tmp_path / "argv.json"), "{service}", "{replicas}"],
        },
        **more,
    }
    return {"mitigations": {"actions": actions}}


@pytest_asyncio.fixture
async def chat(
    chat_factory: Callable[..., Awaitable[Harness]], deploys: tuple[DeployService, str], tmp_path: Path
) -> Harness:
    harness = await chat_factory(config=settings(deploys[1], tmp_path))
    await harness.say('!incident declare "Checkout down" --sev 2 --service checkout-api', user="alice")
    return harness


def texts(sent: list[Any]) -> list[str]:
    return [m.text for m in sent]


async def test_the_incident_room_lists_what_applies_to_its_services(chat: Harness) -> None:
    listing = await chat.reply("!mitigate", user="alice", room=ROOM)
    assert listing.splitlines() == [
        "Mitigations for INC-1 (mitigate first, diagnose after):",
        "• !mitigate rollback <checkout-api|search> — roll back the last deploy (within 30s)",
        "• !mitigate scale <service> <replicas> — set a service's replicas (within 30s)",
        "Each asks for confirmation before it runs.",
    ]
    await chat.say('!incident declare "Search slow" --sev 3', user="alice")
    other = await chat.reply("!mitigate", user="alice", room="inc-2-search-slow")
    assert "rollback" not in other and "scale" in other
    refused = await chat.reply("!mitigate rollback search", user="alice", room="inc-2-search-slow")
    assert refused == (
        "rollback is for incidents on checkout-api, search; INC-2 is on no service "
        "(add one: !incident service <name>)."
    )
    outside = await chat.reply("!mitigate", user="alice")
    assert outside.startswith("Which incident? Run this in the incident's room or add --id <number>")


async def test_a_confirmed_rollback_runs_once_and_lands_in_the_timeline(
    chat: Harness, deploys: tuple[DeployService, str]
) -> None:
    service, _ = deploys
    [ask] = await chat.say("!mitigate rollback checkout-api", user="alice", room=ROOM)
    assert ask.text.startswith("Run rollback service=checkout-api for INC-1? (M-1; confirm within 10m)")
    assert [(b.label, b.command) for b in ask.content.blocks[1].buttons] == [
        ("Confirm", "!mitigate confirm M-1"),
        ("Cancel", "!mitigate cancel M-1"),
    ]
    assert service.calls == []  # nothing runs before confirmation

    done = texts(await chat.say("!mitigate confirm M-1", user="alice", room=ROOM))
    assert done[0] == "Running rollback service=checkout-api (M-1, at most 30s)…"
    assert done[1].startswith("M-1 rollback service=checkout-api succeeded in ")
    assert done[1].endswith(": HTTP 200: rolled back to v41. If the impact has stopped: !incident mitigated")
    [(path, body, auth)] = service.calls
    assert path == "/rollback/checkout-api" and auth == f"Bearer {TOKEN}"
    assert body == {
        "mitigation": "rollback",
        "run": 1,
        "incident": "INC-1",
        "args": {"service": "checkout-api"},
        "requested_by": "alice",
        "confirmed_by": "alice",
    }

    again = await chat.reply("!mitigate confirm M-1", user="alice", room=ROOM)
    assert again == "M-1 is succeeded, not waiting for confirmation."
    assert len(service.calls) == 1

    timeline = await chat.reply("!incident timeline", user="alice", room=ROOM)
    assert "@alice  mitigation_started: M-1 rollback service=checkout-api" in timeline
    assert "mitigation_finished: M-1 rollback succeeded: HTTP 200: rolled back to v41" in timeline
    history = await chat.reply("!mitigate history", user="alice", room=ROOM)
    assert history.splitlines()[1] == (
        "M-1 rollback service=checkout-api — succeeded (@alice, confirmed by @alice): "
        "HTTP 200: rolled back to v41"
    )


async def test_only_the_ic_and_admins_may_run_one_unless_config_says_otherwise(
    chat_factory: Callable[..., Awaitable[Harness]], deploys: tuple[DeployService, str], tmp_path: Path
) -> None:
    chat = await chat_factory(config=settings(deploys[1], tmp_path))
    await chat.say('!incident declare "Checkout down" --sev 2 --service checkout-api', user="alice")
    refused = await chat.reply("!mitigate rollback checkout-api", user="bob", room=ROOM)
    assert refused == "Only the Incident Commander (@alice) or an admin can run the rollback mitigation."
    await chat.say("!mitigate rollback checkout-api", user="alice", room=ROOM)
    assert (await chat.reply("!mitigate confirm M-1", user="bob", room=ROOM)).startswith("Only the Incident")
    assert deploys[0].calls == []

    await chat.close()
    opened = settings(deploys[1], tmp_path)
    opened["permissions"] = {"mitigate.rollback": ["anyone"]}
    chat = await chat_factory(config=opened)  # the same database: INC-2, M-2
    await chat.say('!incident declare "Search down" --sev 2 --service search', user="alice")
    await chat.say("!mitigate rollback search", user="bob", room="inc-2-search-down")
    sent = texts(await chat.say("!mitigate confirm M-2", user="bob", room="inc-2-search-down"))
    assert "succeeded" in sent[-1]


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("!mitigate rollback payments", "service must be one of checkout-api, search, not 'payments'."),
        ("!mitigate rollback", "rollback takes 1 argument(s), got 0."),
        ("!mitigate scale checkout-api 500", "replicas must be at most 50."),
        ("!mitigate scale checkout-api three", "replicas must be a whole number, not 'three'."),
        ("!mitigate scale -rf 3", "service '-rf' is not allowed"),
        ("!mitigate scale 'api;reboot' 3", "service 'api;reboot' is not allowed"),
        ("!mitigate reboot-everything", "No mitigation 'reboot-everything'. Mitigations: rollback, scale."),
        ("!mitigate confirm M-9", "INC-1 has no mitigation run M-9 (see !mitigate history)."),
        ("!mitigate confirm nine", "'nine' is not a mitigation run (e.g. M-4)."),
    ],
)
async def test_bad_arguments_are_refused_before_anything_is_stored(
    chat: Harness, deploys: tuple[DeployService, str], typed: str, answer: str
) -> None:
    assert answer in await chat.reply(typed, user="alice", room=ROOM)
    async with chat.app.db.read() as conn:
        assert await runs.of_incident(conn, 1) == []
    assert deploys[0].calls == []


async def test_a_command_gets_its_arguments_as_a_list_never_through_a_shell(
    chat_factory: Callable[..., Awaitable[Harness]], deploys: tuple[DeployService, str], tmp_path: Path
) -> None:
    echo = [*script(tmp_path, "echo", "import sys; print(sys.argv[1])"), "{text}"]
    loose = {"echo": {"help": "anything", "params": {"text": {"pattern": ".+"}}, "command": echo}}
    chat = await chat_factory(config=settings(deploys[1], tmp_path, **loose))
    await chat.say('!incident declare "Checkout down" --sev 2 --service checkout-api', user="alice")
    await chat.say('!mitigate echo "$(touch pwned)"', user="alice", room=ROOM)
    sent = texts(await chat.say("!mitigate confirm M-1", user="alice", room=ROOM))
    assert ": done: $(touch pwned). If the impact" in sent[-1]
    assert not (tmp_path / "pwned").exists() and not os.path.exists("pwned")  # noqa: ASYNC240


async def test_a_command_with_arguments_reports_its_output(chat: Harness, tmp_path: Path) -> None:
    await chat.say("!mitigate scale checkout-api 12", user="alice", room=ROOM)
    sent = texts(await chat.say("!mitigate confirm M-1", user="alice", room=ROOM))
    assert sent[-1].endswith(
        ": done: scaled checkout-api to 12. If the impact has stopped: !incident mitigated"
    )
    assert json.loads((tmp_path / "argv.json").read_text()) == ["checkout-api", "12"]


async def test_a_hung_command_is_killed_at_its_time_limit_and_the_bot_keeps_serving(
    chat_factory: Callable[..., Awaitable[Harness]], deploys: tuple[DeployService, str], tmp_path: Path
) -> None:
    hang = {
        "drain": {
            "help": "drain traffic",
            "timeout": "1s",
            "command": script(
                tmp_path,
                "drain",
                "import os, sys, time\n"
                f"open({str(tmp_path / 'pid')!r}, 'w').write(str(os.getpid()))\n"
                "time.sleep(60)\n",
            ),
        }
    }
    chat = await chat_factory(config=settings(deploys[1], tmp_path, **hang))
    await chat.say('!incident declare "Checkout down" --sev 2 --service checkout-api', user="alice")
    await chat.say("!mitigate drain", user="alice", room=ROOM)
    sent = texts(await chat.say("!mitigate confirm M-1", user="alice", room=ROOM))
    assert sent[-1].startswith("M-1 drain TIMED OUT in 1.")
    assert sent[-1].endswith(": stopped after 1s; check what it changed.")
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):  # killed with its process group, and reaped
        os.kill(pid, 0)
    assert (await chat.reply("!incident status", user="alice", room=ROOM)).startswith("INC-1")


class PluginMitigations:
    """A third party's mitigations: one that works, one that raises, one that hangs."""

    def __init__(self) -> None:
        self.shed: list[MitigationRequest] = []

    async def shed_load(self, request: MitigationRequest) -> str:
        self.shed.append(request)
        return f"shedding {request.args['percent']}% of traffic"

    async def broken(self, request: MitigationRequest) -> str:
        raise KeyError("password=hunter2")

    async def refuses(self, request: MitigationRequest) -> str:
        raise MitigationFailed("the load balancer said no: pool is locked")

    async def hangs(self, request: MitigationRequest) -> str:
        await asyncio.Event().wait()
        return "never"

    @hookimpl
    def chatops_mitigations(self, app: Any) -> list[Mitigation]:
        percent = Param("percent", "int", minimum=1, maximum=90)
        return [
            Mitigation("shed-load", "shed traffic", self.shed_load, (percent,), allowed=("anyone",)),
            Mitigation("broken", "raises", self.broken, allowed=("anyone",)),
            Mitigation("locked", "refuses", self.refuses, allowed=("anyone",)),
            Mitigation("hangs", "hangs", self.hangs, allowed=("anyone",), timeout_s=0.3),
        ]


class RaisingOffer:
    @hookimpl
    def chatops_mitigations(self, app: Any) -> list[Mitigation]:
        raise RuntimeError("cannot read my config")


async def test_plugins_offer_mitigations_and_their_failures_are_contained(
    chat_factory: Callable[..., Awaitable[Harness]], caplog: pytest.LogCaptureFixture
) -> None:
    offers = PluginMitigations()
    chat = await chat_factory(plugins=[("lb", offers), ("raising", RaisingOffer())])
    await chat.say('!incident declare "Checkout down" --sev 2', user="alice")
    listing = await chat.reply("!mitigate", user="bob", room=ROOM)
    assert "• !mitigate shed-load <percent> — shed traffic (within 30s)" in listing

    async def run(typed: str) -> str:
        await chat.say(typed, user="bob", room=ROOM)
        ref = typed.split()[1]
        async with chat.app.db.read() as conn:
            last = (await runs.of_incident(conn, 1))[-1]
        assert last.action == ref
        return texts(await chat.say(f"!mitigate confirm {last.ref}", user="bob", room=ROOM))[-1]

    assert (await run("!mitigate shed-load 30")).endswith(
        ": shedding 30% of traffic. If the impact has stopped: !incident mitigated"
    )
    assert offers.shed[0].args == {"percent": 30} and offers.shed[0].incident_ref == "INC-1"
    assert (await run("!mitigate locked")).endswith(
        "FAILED in 0.0s: the load balancer said no: pool is locked."
    )
    assert (await run("!mitigate broken")).endswith(
        "FAILED in 0.0s: the mitigation raised KeyError (logged)."
    )
    assert " TIMED OUT in 0.3s: stopped after 0.3s" in await run("!mitigate hangs")
    assert (await chat.reply("!incident status", user="bob", room=ROOM)).startswith("INC-1")
    shown = "\n".join(m.text for m in chat.messages())
    assert "hunter2" not in shown


async def test_a_failing_webhook_is_reported_and_its_secret_never_shown(
    chat: Harness, deploys: tuple[DeployService, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    deploys[0].status = 503
    await chat.say("!mitigate rollback checkout-api", user="alice", room=ROOM)
    sent = texts(await chat.say("!mitigate confirm M-1", user="alice", room=ROOM))
    assert sent[-1].endswith(": HTTP 503: boom.")
    assert TOKEN not in "\n".join(m.text for m in chat.messages()) and TOKEN not in caplog.text


async def test_an_unreachable_webhook_fails_with_its_host(
    chat_factory: Callable[..., Awaitable[Harness]], tmp_path: Path
) -> None:
    chat = await chat_factory(config=settings("http://127.0.0.1:9", tmp_path))
    await chat.say('!incident declare "Checkout down" --sev 2 --service checkout-api', user="alice")
    await chat.say("!mitigate rollback checkout-api", user="alice", room=ROOM)
    sent = texts(await chat.say("!mitigate confirm M-1", user="alice", room=ROOM))
    assert ": could not reach 127.0.0.1: ClientConnectorError." in sent[-1]


async def test_a_request_expires_and_can_be_cancelled(
    chat: Harness, deploys: tuple[DeployService, str]
) -> None:
    await chat.say("!mitigate rollback checkout-api", user="alice", room=ROOM)
    await chat.advance("11m")
    late = await chat.reply("!mitigate confirm M-1", user="alice", room=ROOM)
    assert late == "M-1 was not confirmed within 10m; ask again."
    await chat.say("!mitigate rollback checkout-api", user="alice", room=ROOM)
    assert await chat.reply("!mitigate cancel M-2", user="alice", room=ROOM) == (
        "M-2 rollback service=checkout-api cancelled; nothing ran."
    )
    assert (await chat.reply("!mitigate confirm M-2", user="alice", room=ROOM)).startswith("M-2 is cancelled")
    assert deploys[0].calls == []


async def test_a_run_cut_off_by_a_crash_is_reported_as_interrupted_and_never_rerun(
    chat: Harness, deploys: tuple[DeployService, str]
) -> None:
    await chat.say("!mitigate rollback checkout-api", user="alice", room=ROOM)
    # What a kill -9 leaves behind: the run marked running (it is, before it acts), no outcome.
    await chat.app.db.write(lambda tx: runs.start(tx, 1, "test:alice", chat.clock.now(), chat.clock.now()))
    chat = await chat.restart()
    told = [m.text for m in chat.messages(ROOM)]
    assert told[-1] == (
        "M-1 rollback service=checkout-api was interrupted: chatops stopped while it ran; "
        "its outcome is unknown — check before running it again."
    )
    assert deploys[0].calls == []
    again = await chat.reply("!mitigate confirm M-1", user="alice", room=ROOM)
    assert again == "M-1 is interrupted, not waiting for confirmation."
    chat = await chat.restart()
    assert [m.text for m in chat.messages(ROOM)] == []  # told once


async def test_a_second_confirm_says_it_already_ran_and_only_who_asked_or_may_run_it_cancels(
    chat: Harness, deploys: tuple[DeployService, str]
) -> None:
    await chat.say("!mitigate rollback checkout-api", user="alice", room=ROOM)
    # the second press raced the first past the "is it pending?" check: the answer says what happened
    await chat.app.db.write(lambda tx: runs.start(tx, 1, "test:alice", chat.clock.now(), chat.clock.now()))
    await chat.app.db.write(lambda tx: runs.finish(tx, 1, "succeeded", "HTTP 200", chat.clock.now()))
    assert await chat.reply("!mitigate confirm M-1", user="alice", room=ROOM) == (
        "M-1 is succeeded, not waiting for confirmation."
    )
    await chat.say("!mitigate rollback checkout-api", user="alice", room=ROOM)
    refused = await chat.reply("!mitigate cancel M-2", user="mallory", room=ROOM)
    assert refused.startswith("Only the Incident Commander (@alice)")
    assert (await chat.reply("!mitigate cancel M-2", user="alice", room=ROOM)).endswith(
        "cancelled; nothing ran."
    )


def test_a_webhook_host_cannot_come_from_chat() -> None:
    from pydantic import ValidationError

    from chatops_plugins.mitigate.config import WebhookConfig

    with pytest.raises(ValidationError, match="the host is fixed"):
        WebhookConfig(url="https://{target}/rollback")
    assert WebhookConfig(url="https://deploy.internal/rollback/{service}?why={reason}").url

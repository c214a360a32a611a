"""chatops-slack-roundtrip: command -> reply latency over Socket Mode, against a bare slack-sdk bot.

Two local Slacks (``tests/slack/fake_slack.py``: Web API, Socket Mode
websocket, envelopes and acks) run in this process, one per bot, so each
bot's websocket carries only its own traffic:

* chatops with the Slack transport in Socket Mode (SQLite, every built-in
  plugin, the ``!bench hello <i>`` plugin of bench/echo.py);
* a bare bot: slack-sdk's aiohttp ``SocketModeClient`` with one request
  listener that acknowledges the envelope and, for ``!bench hello <i>``,
  posts ``hello <i>`` with ``chat.postMessage`` as one ``mrkdwn`` section
  (the shape chatops sends).

A person's message is pushed as an ``events_api`` envelope to the chatops
Slack, then to the bare one, one at a time, interleaved.  A round trip runs
from the push to the moment the Slack has stored the bot's reply (its
``chat.postMessage`` call handled).  Warm-up round trips are not counted.
Errors are answers that did not come within ``--timeout`` or were wrong.

``p50_ratio`` = chatops p50 / bare p50: what chatops adds on top of what any
Slack bot pays (websocket, ack, the Web API call); the target is <= 1.5
(the bare bot does nothing else, and the whole round trip is local).

Run from the repository root:  .venv/bin/python bench/slack_roundtrip.py [--n 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "slack"))

from benchkit import percentile  # noqa: E402
from echo import BenchPlugin  # noqa: E402
from fake_slack import APP_TOKEN, BOT_TOKEN, BOT_USER, FakeSlack  # noqa: E402
from slack_sdk.socket_mode.aiohttp import SocketModeClient  # noqa: E402
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient  # noqa: E402
from slack_sdk.socket_mode.request import SocketModeRequest  # noqa: E402
from slack_sdk.socket_mode.response import SocketModeResponse  # noqa: E402
from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from chatops.app import App  # noqa: E402
from chatops.config import load_config  # noqa: E402

PERSON = "UALICE001"
WARMUP = 20


async def start_chatops(slack: FakeSlack, tmp: Path) -> App:
    config = load_config(
        None,
        db_url=f"sqlite:///{tmp / 'bench.db'}",
        environ={},
        overrides={
            "web": {"enabled": False},
            "transports": {
                "slack": {"bot_token": BOT_TOKEN, "app_token": APP_TOKEN, "api_url": slack.api_url}
            },
        },
    )
    app = App(config, extra_plugins=[("bench", BenchPlugin())])
    await app.start()
    await slack.connected()
    return app


async def start_bare(slack: FakeSlack) -> SocketModeClient:
    web = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    client = SocketModeClient(app_token=APP_TOKEN, web_client=web)

    async def on_request(socket: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        await socket.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        event = request.payload.get("event", {})
        text = event.get("text", "")
        mine = event.get("user") == BOT_USER
        if request.type == "events_api" and not mine and text.startswith("!bench hello "):
            answer = f"hello {text.split()[-1]}"
            await web.chat_postMessage(
                channel=event["channel"],
                text=answer,
                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": answer}}],
            )

    client.socket_mode_request_listeners.append(on_request)
    await client.connect()
    await slack.connected()
    return client


async def round_trip(slack: FakeSlack, i: int, seconds: float) -> tuple[float, bool]:
    general = slack.channels["C0GENERAL"]
    before = len(general.messages)
    began = time.perf_counter()
    await slack.push("events_api", slack.message_event(f"!bench hello {i}", PERSON))

    def answered() -> Any:
        replies = [m for m in list(general.messages.values())[before:] if m.user == BOT_USER]
        return replies or None

    try:
        replies = await slack.wait_for(answered, seconds)
    except TimeoutError:
        return time.perf_counter() - began, False
    elapsed = time.perf_counter() - began
    return elapsed, len(replies) == 1 and replies[0].text == f"hello {i}"


async def main(n: int, seconds: float) -> dict[str, Any]:
    fakes = [await FakeSlack().start(), await FakeSlack().start()]
    for fake in fakes:
        fake.add_user(PERSON, "alice")
        fake.channels["C0GENERAL"].members.append(PERSON)
    ours, bare = fakes
    with tempfile.TemporaryDirectory() as tmp:
        app = await start_chatops(ours, Path(tmp))
        client = await start_bare(bare)
        times: dict[str, list[float]] = {"chatops": [], "bare": []}
        errors = {"chatops": 0, "bare": 0}
        try:
            for i in range(WARMUP + n):
                for name, fake in (("chatops", ours), ("bare", bare)):
                    elapsed, ok = await round_trip(fake, i, seconds)
                    if i >= WARMUP:
                        times[name].append(elapsed * 1000)
                        errors[name] += 0 if ok else 1
        finally:
            await client.close()
            await app.stop()
            for fake in fakes:
                await fake.stop()
    result: dict[str, Any] = {"n": n}
    for name in ("chatops", "bare"):
        result[f"{name}_p50_ms"] = round(percentile(times[name], 0.50), 2)
        result[f"{name}_p99_ms"] = round(percentile(times[name], 0.99), 2)
    result["p50_ratio"] = round(result["chatops_p50_ms"] / result["bare_p50_ms"], 2)
    result["errors"] = errors["chatops"]
    result["bare_errors"] = errors["bare"]
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="measured round trips per bot")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for one answer")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    figures = asyncio.run(main(args.n, args.timeout))
    print(
        f"chatops p50 {figures['chatops_p50_ms']} ms  p99 {figures['chatops_p99_ms']} ms | "
        f"bare p50 {figures['bare_p50_ms']} ms  p99 {figures['bare_p99_ms']} ms | "
        f"ratio {figures['p50_ratio']} | errors {figures['errors']}"
    )
    print("RESULT " + json.dumps(figures))

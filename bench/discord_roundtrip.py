"""chatops-discord-roundtrip: command -> reply latency over the gateway, against a bare discord.py bot.

One local Discord (``tests/discord/fake_discord.py``: REST v10 and the
gateway with zlib-stream) runs in this process.  discord.py points at it
through module-wide settings, so the two bots take turns on it, in blocks
(chatops, bare, chatops, bare … six pairs), each after its own warm-up:

* chatops with the Discord transport (SQLite, every built-in plugin, typed
  commands on, the ``!bench hello <i>`` plugin of bench/echo.py);
* a bare bot: a ``discord.Client`` whose ``on_message`` answers
  ``!bench hello <i>`` with ``message.channel.send("hello <i>")``.

A round trip runs from the gateway dispatch of a person's MESSAGE_CREATE to
the moment the local Discord has stored the bot's reply.  Errors are
answers that did not come within ``--timeout`` or were wrong.

``p50_ratio`` = chatops p50 / bare p50: what chatops adds on top of what any
discord.py bot pays (gateway decompression and parsing, the REST call); the
target is <= 1.5.

Run from the repository root:  .venv/bin/python bench/discord_roundtrip.py [--n 600]
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
sys.path.insert(0, str(ROOT / "tests" / "discord"))

import discord  # noqa: E402
import discord.gateway  # noqa: E402
import discord.http  # noqa: E402
import yarl  # noqa: E402
from benchkit import percentile  # noqa: E402
from echo import BenchPlugin  # noqa: E402
from fake_discord import ALICE, BOT_ID, GUILD_ID, OPS_ID, TOKEN, FakeDiscord  # noqa: E402

from chatops.app import App  # noqa: E402
from chatops.config import load_config  # noqa: E402

WARMUP = 20
BLOCKS = 6


class Bot:
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Chatops(Bot):
    def __init__(self, fake: FakeDiscord, tmp: Path) -> None:
        config = load_config(
            None,
            db_url=f"sqlite:///{tmp / 'bench.db'}",
            environ={},
            overrides={
                "web": {"enabled": False},
                "transports": {
                    "discord": {
                        "token": TOKEN,
                        "guild_ids": [int(GUILD_ID)],
                        "api_url": fake.api_url,
                        "gateway_url": fake.gateway_url,
                        "text_commands": True,
                    }
                },
            },
        )
        self.app = App(config, extra_plugins=[("bench", BenchPlugin())])

    async def start(self) -> None:
        await self.app.start()

    async def stop(self) -> None:
        await self.app.stop()


class Bare(Bot):
    def __init__(self, fake: FakeDiscord) -> None:
        discord.http.Route.BASE = fake.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
        intents = discord.Intents.none()
        intents.guilds = intents.guild_messages = intents.message_content = True
        self.client = discord.Client(intents=intents, guild_ready_timeout=0.5)
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

        @self.client.event
        async def on_ready() -> None:
            self.ready.set()

        @self.client.event
        async def on_message(message: discord.Message) -> None:
            if not message.author.bot and message.content.startswith("!bench hello "):
                await message.channel.send(f"hello {message.content.split()[-1]}")

    async def start(self) -> None:
        await self.client.login(TOKEN)
        self.task = asyncio.create_task(self.client.connect())
        await self.ready.wait()

    async def stop(self) -> None:
        await self.client.close()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)


async def round_trip(fake: FakeDiscord, i: int, seconds: float) -> tuple[float, bool]:
    ops = fake.channels[OPS_ID]
    before = len(ops.messages)
    payload = fake.message(f"!bench hello {i}", ALICE)
    began = time.perf_counter()
    await fake.dispatch("MESSAGE_CREATE", payload)

    def answered() -> Any:
        replies = [m for m in list(ops.messages.values())[before:] if m.author == BOT_ID]
        return replies or None

    try:
        replies = await fake.wait_for(answered, seconds)
    except TimeoutError:
        return time.perf_counter() - began, False
    elapsed = time.perf_counter() - began
    return elapsed, len(replies) == 1 and replies[0].content == f"hello {i}"


async def main(n: int, seconds: float) -> dict[str, Any]:
    fake = await FakeDiscord().start()
    fake.add_user(ALICE, "alice")
    times: dict[str, list[float]] = {"chatops": [], "bare": []}
    errors = {"chatops": 0, "bare": 0}
    per_block = max(1, n // BLOCKS)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for block in range(BLOCKS):
                for name in ("chatops", "bare"):
                    bot: Bot = Chatops(fake, Path(tmp) / f"{block}") if name == "chatops" else Bare(fake)
                    (Path(tmp) / f"{block}").mkdir(exist_ok=True)
                    await bot.start()
                    await fake.ready()
                    try:
                        for i in range(WARMUP + per_block):
                            elapsed, ok = await round_trip(fake, i, seconds)
                            if i >= WARMUP:
                                times[name].append(elapsed * 1000)
                                errors[name] += 0 if ok else 1
                    finally:
                        await bot.stop()
    finally:
        await fake.stop()
    result: dict[str, Any] = {"n": per_block * BLOCKS}
    for name in ("chatops", "bare"):
        result[f"{name}_p50_ms"] = round(percentile(times[name], 0.50), 2)
        result[f"{name}_p99_ms"] = round(percentile(times[name], 0.99), 2)
    result["p50_ratio"] = round(result["chatops_p50_ms"] / result["bare_p50_ms"], 2)
    result["errors"] = errors["chatops"]
    result["bare_errors"] = errors["bare"]
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="measured round trips per bot")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for one answer")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    figures = asyncio.run(main(args.n, args.timeout))
    print(
        f"chatops p50 {figures['chatops_p50_ms']} ms  p99 {figures['chatops_p99_ms']} ms | "
        f"bare p50 {figures['bare_p50_ms']} ms  p99 {figures['bare_p99_ms']} ms | "
        f"ratio {figures['p50_ratio']} | errors {figures['errors']}"
    )
    print("RESULT " + json.dumps(figures))

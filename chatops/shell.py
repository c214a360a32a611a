"""``chatops shell``: a chat in the terminal, interactive or from a script.

Lines starting with ``:`` are directives (``:as``, ``:room``, ``:advance``,
``:rooms``, ``:help``); everything else is a message said by the current
speaker in the current room.  Input is read off the event loop, so timers
keep firing while the prompt waits.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator
from typing import TextIO

from chatops.app import App
from chatops.clock import parse_duration
from chatops.transports.console import ConsoleTransport

DIRECTIVES = """Directives:
  :as USER         speak as USER (default: you)
  :room ROOM       speak in ROOM (created if needed; default: lobby)
  :advance DUR     move the fake clock (90s, 5m, 2h) and fire timers due on the way
  :rooms           list rooms
  :help            this help; !help lists chat commands"""


class UnknownDirective(Exception):
    pass


class ConsoleSession:
    """Reads lines, applies directives, and says the rest through the console transport."""

    def __init__(self, app: App, console: ConsoleTransport, out: TextIO, *, echo: bool) -> None:
        self.app = app
        self.console = console
        self.out = out
        self.echo = echo
        self.user = "you"
        self.room = "lobby"

    def prompt(self) -> str:
        return f"[{self.room}] {self.user}> "

    def note(self, text: str) -> None:
        self.out.write(f"* {text}\n")
        self.out.flush()

    async def line(self, raw: str) -> None:
        text = raw.rstrip("\n")
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            return
        if stripped.startswith(":"):
            await self.directive(stripped)
            return
        if self.echo:
            self.console.write(self.room, self.user, text)
        await self.console.say(self.user, self.room, text)

    async def directive(self, text: str) -> None:
        name, _, arg = text[1:].partition(" ")
        arg = arg.strip()
        if name == "as" and arg:
            self.user = arg.lstrip("@")
        elif name == "room" and arg:
            self.room = self.console.room(arg).name
        elif name == "advance":
            if not self.app.clock.fake:
                self.note(":advance needs a fake clock: start with --fake-clock 2026-03-02T14:00:00Z")
                return
            try:
                delta = parse_duration(arg)
                await self.app.advance(delta)
            except (ValueError, OverflowError) as exc:
                self.note(f":advance {arg}: {exc}")
                return
            self.note(f"clock: {self.app.clock.now().astimezone(self.app.tz):%Y-%m-%d %H:%M %Z}")
        elif name == "rooms":
            self.note("rooms:\n" + self.console.describe_rooms())
        elif name == "help":
            self.note(DIRECTIVES)
        else:
            raise UnknownDirective(f"unknown directive {text!r}; see :help")


async def read_lines(stream: TextIO) -> AsyncIterator[str]:
    """Lines of ``stream`` as they arrive.

    A daemon thread does the blocking reads, so timers keep firing while the
    prompt waits and a stopping process never waits for one more line.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def pump() -> None:
        for line in iter(stream.readline, ""):
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, "")

    threading.Thread(target=pump, name="console-input", daemon=True).start()
    while line := await queue.get():
        yield line


async def run_script(session: ConsoleSession, stream: TextIO) -> None:
    """Say every line of a script; an unknown directive stops it (``UnknownDirective``)."""
    async for line in read_lines(stream):
        await session.line(line)


async def interactive(session: ConsoleSession, stream: TextIO) -> None:
    sys.stdout.write(session.prompt())
    sys.stdout.flush()
    async for line in read_lines(stream):
        try:
            await session.line(line)
        except UnknownDirective as exc:
            session.note(str(exc))
        sys.stdout.write(session.prompt())
        sys.stdout.flush()
    sys.stdout.write("\n")

"""A restart in the middle of an incident loses nothing and sends nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest

from chatops.testing import Harness

ROOM = "inc-1-checkout-api-errors"


@pytest.fixture
def chatops_db_url(any_db_url: str) -> str:
    return any_db_url


def reminders(sent: list[Any]) -> list[Any]:
    return [m for m in sent if "update is due" in m.text]


async def test_a_pending_reminder_fires_exactly_once_after_a_restart(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await chat.say("!incident note rollback started", user="bob", room=ROOM)
    await chat.advance("10m")
    restarted = await chat.restart()
    assert "rollback started" in await restarted.reply("!incident timeline", room=ROOM)
    assert len(reminders(await restarted.advance("25m"))) == 1  # due 14:30, now 14:35
    assert reminders(await restarted.advance("20m")) == []  # next at 15:00


async def test_a_reminder_due_while_the_bot_was_down_fires_once_on_return(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 1', user="alice")
    await chat.app.stop()
    chat.clock.set(chat.clock.now().replace(minute=40))  # down from 14:00 to 14:40; due at 14:15
    restarted = await chat.restart()
    assert len(reminders(await restarted.advance("1s"))) == 1
    again = await restarted.restart()
    assert reminders(await again.advance("1s")) == []


async def test_a_reminder_queued_but_not_delivered_is_delivered_once_after_restart(chat: Harness) -> None:
    """The reminder is an outbox row committed with the timer's claim: a crash before delivery
    leaves it unsent, and the next start delivers it."""
    await chat.say('!incident declare "Checkout API errors" --sev 1', user="alice")
    failing = chat.transport.send

    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("transport went away")

    chat.transport.send = crash  # type: ignore[method-assign]
    await chat.advance("15m")
    chat.transport.send = failing  # type: ignore[method-assign]
    assert reminders(chat.messages()) == []
    restarted = await chat.restart()
    assert len(reminders(restarted.messages())) == 1
    assert reminders((await restarted.restart()).messages()) == []


def _shell(db: Path, clock: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "chatops.cli", "shell", "--db", f"sqlite:///{db}", "--fake-clock", clock],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _read_until(stream: IO[str], needle: str) -> list[str]:
    seen = []
    for line in stream:
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} never appeared; got {''.join(seen)}")


def test_kill_9_in_the_middle_of_an_incident_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "chatops.db"
    first = _shell(db, "2026-03-02T14:00:00Z")
    assert first.stdin and first.stdout
    first.stdin.write('!incident declare "Checkout API errors" --sev 2\n')
    first.stdin.write(f":room {ROOM}\n!incident note rollback started\n")
    first.stdin.flush()
    _read_until(first.stdout, "Noted on INC-1.")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)

    script = f":room {ROOM}\n:advance 25m\n!incident timeline\n:advance 20m\n"
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "chatops.cli",
            "shell",
            "--db",
            f"sqlite:///{db}",
            "--fake-clock",
            "2026-03-02T14:10:00Z",
            "--script",
            "-",
        ],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = second.stdout
    assert out.count("INC-1 update is due") == 1  # 14:30 fired once; 15:00 not yet reached
    assert "@you  note: rollback started" in out
    assert 'declared "Checkout API errors" · Sev2' in out

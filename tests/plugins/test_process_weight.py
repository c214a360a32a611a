"""Process in proportion to severity: Sev1/2 the full process, Sev3 a thread, Sev4 a record.

Raising the severity upgrades the process in place (a room is created, people
are paged, stakeholders hear of it); lowering it never takes anything away.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from chatops import Capabilities
from chatops.models.chat import MessageRef, ThreadRef
from chatops.models.content import Content, render_text
from chatops.testing import Harness
from chatops.testing.fake import FakeTransport

THREADS = Capabilities(edits=True, threads=True, pins=True)
CONFIG: dict[str, Any] = {
    "oncall": {
        "people": {"alice": {"accounts": ["test:alice"]}, "carol": {"accounts": ["test:carol"]}},
        "policies": {"urgent": {"steps": [{"targets": ["user:carol"], "after": "5m"}]}},
        "severity_policies": {1: "urgent", 2: "urgent"},
        "around_the_clock": [1, 2, 3],
    },
    "statuspage": {"stakeholder_room": "test:stakeholders"},
}

Chat = Callable[..., Awaitable[Harness]]


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return CONFIG


async def threaded(chat_factory: Chat, **kwargs: Any) -> Harness:
    return await chat_factory(capabilities=THREADS, **kwargs)


def root_of_thread(chat: Harness, room: str = "ops") -> str:
    """The id of the incident's status message in ``room``: the root of its thread."""
    [status] = [
        i for i, m in enumerate(chat.transport.sent) if m.room == room and m.text.startswith("INC-1 ·")
    ]
    return chat.transport.refs[status]


async def declared(chat: Harness, command: str) -> str:
    """The answer to a declaration typed by alice in ops."""
    [answer] = [m.text for m in await chat.say(command, user="alice", room="ops") if " declared · " in m.text]
    return answer


def pages_to_carol(chat: Harness) -> list[str]:
    return [m.text for m in chat.messages("@carol") if m.text.startswith("📟")]


async def test_a_sev3_is_worked_in_a_thread_where_it_was_declared(chat_factory: Chat) -> None:
    chat = await threaded(chat_factory)
    answer = await declared(chat, '!incident declare "Search is slow" --sev 3')
    assert "Room: a thread in ops" in answer
    assert not any(room.startswith("test:inc-") for room in chat.transport.rooms)
    root = root_of_thread(chat)
    status = await chat.reply("!incident status", user="bob", room="ops", thread=root)
    assert status.startswith('INC-1 · Sev3 · investigating · "Search is slow"')
    await chat.say("!incident note the index rebuild is running", user="bob", room="ops", thread=root)
    timeline = await chat.reply("!incident timeline --id 1", user="bob")
    assert "a thread in ops opened" in timeline and "note: the index rebuild is running" in timeline
    # Nobody is paged, the stakeholders hear nothing, and the channel itself is not the incident.
    assert pages_to_carol(chat) == [] and chat.messages("stakeholders") == []
    assert (await chat.reply("!incident status", user="bob", room="ops")).startswith("Which incident?")


async def test_a_thread_opened_inside_an_incident_room_belongs_to_that_incident(chat_factory: Chat) -> None:
    chat = await threaded(chat_factory)
    await chat.say('!incident declare "Checkout down" --sev 1', user="alice", room="ops")
    answer = await chat.reply(
        "!incident note from a side thread", user="bob", room="inc-1-checkout-down", thread="9"
    )
    assert answer == "Noted on INC-1."


async def test_confirming_a_thread_incidents_severity_keeps_it_in_its_thread(chat_factory: Chat) -> None:
    chat = await threaded(chat_factory)
    await chat.say('!incident declare "Search is slow"', user="alice", room="ops")  # Sev3 by default
    root = root_of_thread(chat)
    answer = await chat.reply("!incident sev 3", user="alice", room="ops", thread=root)
    assert answer.startswith("INC-1 severity Sev3 confirmed.")
    await chat.say("!incident sev 4 cosmetic only", user="alice", room="ops", thread=root)
    await chat.say("!incident sev 3 back to Sev3", user="alice", room="ops", thread=root)
    assert not any(room.startswith("test:inc-") for room in chat.transport.rooms)


async def test_a_note_in_a_thread_incident_inside_an_incident_room_goes_to_the_thread_incident(
    chat_factory: Chat,
) -> None:
    chat = await threaded(chat_factory)
    room = "inc-1-checkout-down"
    await chat.say('!incident declare "Checkout down" --sev 1', user="alice", room="ops")
    await chat.say("!incident note the room is known now", user="alice", room=room)
    await chat.say('!incident declare "Search is slow" --sev 3', user="alice", room=room)
    root = _root(chat, room, "INC-2 ·")
    assert await chat.reply("!incident note from its thread", user="bob", room=room, thread=root) == (
        "Noted on INC-2."
    )


def _root(chat: Harness, room: str, start: str) -> str:
    [index] = [i for i, m in enumerate(chat.transport.sent) if m.room == room and m.text.startswith(start)]
    return chat.transport.refs[index]


async def test_a_severity_raised_while_the_thread_is_being_started_gets_its_room(chat_factory: Chat) -> None:
    chat = await threaded(chat_factory, config={})  # nobody paged: the raise touches no room of its own
    slow = SlowStatus(chat.app, capabilities=THREADS)
    chat.app.transports["test"] = chat.transport = slow
    declaring = asyncio.create_task(
        chat.say('!incident declare "Checkout slow" --sev 3', user="alice", room="ops")
    )
    await slow.posting.wait()
    await chat.say("!incident sev 1 --id 1", user="alice", room="war-room")  # ops is busy posting
    slow.release.set()
    await declaring
    await chat.app.background.wait()
    assert "test:inc-1-checkout-slow" in slow.rooms  # honoured once the thread existed: one room, made then
    status = await chat.reply("!incident status", user="alice", room="inc-1-checkout-slow")
    assert status.startswith("INC-1 · Sev1")


class SlowStatus(FakeTransport):
    """Posting an incident's first status waits until released, as a slow platform would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.posting = asyncio.Event()
        self.release = asyncio.Event()

    async def send(
        self, room_id: str, content: Content, thread: ThreadRef | None, idempotency_key: str | None = None
    ) -> MessageRef:
        if not self.posting.is_set() and render_text(content).startswith("INC-1 · Sev3"):
            self.posting.set()
            await self.release.wait()
        return await super().send(room_id, content, thread, idempotency_key)


async def test_updates_and_answers_about_a_thread_incident_go_into_its_thread(chat_factory: Chat) -> None:
    chat = await threaded(chat_factory)
    await chat.say('!incident declare "Search is slow" --sev 3', user="alice", room="ops")
    root = root_of_thread(chat)
    await chat.say('!incident update "Searches take 5 s — rebuilding — next in 30m" --id 1', user="alice")
    [told] = [m for m in chat.messages("ops") if m.text.startswith("Update from @alice")]
    assert told.thread is not None and told.thread.id == root


async def test_a_sev4_is_a_record_only(chat_factory: Chat) -> None:
    chat = await threaded(chat_factory)
    answer = await chat.reply(
        '!incident declare "Typo on the pricing page" --sev 4', user="alice", room="ops"
    )
    assert "Room: none — Sev4 is a record only; use --id 1" in answer
    assert [m for m in chat.messages("ops") if m.text.startswith("INC-1 ·")] == []
    assert not any(room.startswith("test:inc-") for room in chat.transport.rooms)
    status = await chat.reply("!incident status --id 1", user="alice", room="ops")
    assert status.startswith('INC-1 · Sev4 · investigating · "Typo on the pricing page"')
    assert "Room:" not in status


async def test_a_sev3_raised_to_sev1_upgrades_its_process_in_place(chat_factory: Chat) -> None:
    chat = await threaded(chat_factory)
    await chat.say('!incident declare "Checkout slow" --sev 3', user="alice", room="ops")
    root = root_of_thread(chat)
    await chat.say("!incident role tech-lead @bob", user="alice", room="ops", thread=root)
    assert pages_to_carol(chat) == [] and chat.messages("stakeholders") == []

    raised = await chat.say("!incident sev 1 card payments failing", user="alice", room="ops", thread=root)

    room = "inc-1-checkout-slow"
    assert f"test:{room}" in chat.transport.rooms  # the room is created …
    assert set(chat.transport.invited[room]) == {"test:alice", "test:bob"}  # … with the people on it
    assert "test:alice" in chat.transport.moderators[room]  # the IC moderates it
    moved = [m for m in raised if m.text == f"INC-1 now has its own room: {room}"]
    assert len(moved) == 1 and moved[0].thread is not None and moved[0].thread.id == root
    assert len(pages_to_carol(chat)) == 1  # the Sev1 policy pages
    assert [m.text for m in chat.messages("stakeholders")] == [
        "🟠 Sev1 · INC-1 · Checkout slow: severity now Sev1."
    ]
    assert any(m.text.startswith("📞 Bridge for INC-1") for m in chat.messages(room))  # the meeting link
    status = await chat.reply("!incident status", user="alice", room=room)
    assert status.startswith('INC-1 · Sev1 · investigating · "Checkout slow"') and f"Room: {room}" in status
    assert "room inc-1-checkout-slow opened" in await chat.reply(
        "!incident timeline", user="alice", room=room
    )

    # Lowering it again takes nothing away: the room stays, nobody is un-paged, no second room.
    await chat.say("!incident sev 3 recovered mostly", user="alice", room=room)
    status = await chat.reply("!incident status", user="alice", room=room)
    assert status.startswith("INC-1 · Sev3") and f"Room: {room}" in status
    assert sum(r.startswith("test:inc-") for r in chat.transport.rooms) == 1
    assert len(pages_to_carol(chat)) == 1


async def test_a_sev4_raised_to_sev3_gets_a_thread_and_then_a_room(chat_factory: Chat) -> None:
    chat = await threaded(chat_factory)
    await chat.say('!incident declare "Checkout slow" --sev 4', user="alice", room="ops")
    await chat.say("!incident sev 3 more users affected --id 1", user="alice", room="ops")
    root = root_of_thread(chat)
    assert (await chat.reply("!incident status", user="alice", room="ops", thread=root)).startswith(
        "INC-1 · Sev3"
    )
    await chat.say("!incident sev 2 --id 1", user="alice", room="elsewhere")
    assert "test:inc-1-checkout-slow" in chat.transport.rooms
    assert len(pages_to_carol(chat)) == 1


async def test_without_threads_a_sev3_gets_a_room(chat: Harness) -> None:
    answer = await chat.reply('!incident declare "Search is slow" --sev 3', user="alice", room="ops")
    assert "Room: inc-1-search-is-slow" in answer


async def test_each_severitys_process_is_configurable(chat_factory: Chat) -> None:
    levels = [
        {"level": 1, "name": "Critical", "update_every": "15m"},
        {"level": 2, "name": "Minor", "place": "none", "stakeholders": False, "postmortem": "none"},
    ]
    chat = await threaded(chat_factory, config={**CONFIG, "severity": {"levels": levels, "default": 2}})
    answer = await declared(chat, '!incident declare "Search is slow"')
    assert "Room: none — Minor is a record only" in answer
    assert chat.messages("stakeholders") == []
    answer = await declared(chat, '!incident declare "Checkout down" --sev 1')
    assert "Room: inc-2-checkout-down" in answer


async def test_a_bad_process_in_config_stops_the_start_naming_the_field(chat_factory: Chat) -> None:
    levels = [{"level": 1, "name": "Sev1", "place": "channel"}]
    with pytest.raises(Exception, match=r"place") as raised:
        await chat_factory(config={"severity": {"levels": levels, "default": 1}})
    assert "room" in str(raised.value) and "thread" in str(raised.value)


async def test_a_required_postmortem_is_said_on_resolve_and_chased_until_published(
    chat_factory: Chat, tmp_path: Path
) -> None:
    chat = await chat_factory(config={**CONFIG, "postmortem": {"directory": str(tmp_path)}})
    room = "inc-1-checkout-down"
    say = lambda text: chat.say(text, user="alice", room=room)  # noqa: E731
    await chat.say('!incident declare "Checkout down" --sev 2', user="alice")
    await say("!incident sev 3 smaller than feared")  # once required, a postmortem stays required
    await say('!incident resolve --force "rolled back"')
    said = [m.text for m in chat.messages(room) if m.text.startswith("📝")]
    assert said == [
        "📝 INC-1 needs a postmortem (Sev2): start it with !postmortem start --id 1; due by 2026-03-07."
    ]
    reminded = await chat.advance("5d")  # to 2026-03-07 14:00; the reminder went at 09:00
    assert [m.text for m in reminded if m.room == "@alice"] == [
        "📝 The postmortem of INC-1 (Checkout down) is due and not published: "
        "!postmortem start --id 1, then !postmortem publish --id 1"
    ]
    await say("!postmortem start")
    for section in ("summary", "impact", "contributing", "went-well", "root-cause"):
        await say(f"!postmortem set {section} The pool was sized for the old connection count.")
    await say("!action add Alert when the pool is above 80% for 5 minutes --owner @alice --due 2w")
    published = await chat.reply("!postmortem publish", user="alice", room=room)
    assert published.startswith("INC-1 postmortem published")
    assert [m for m in await chat.advance("14d") if m.text.startswith("📝")] == []


async def test_a_sev3_postmortem_is_optional_and_a_sev4_expects_none(chat_factory: Chat) -> None:
    chat = await threaded(chat_factory)
    await chat.say('!incident declare "Search is slow" --sev 3', user="alice", room="ops")
    await chat.say('!incident declare "Typo on the pricing page" --sev 4', user="alice", room="ops")
    await chat.say('!incident resolve --force "fixed" --id 1', user="alice", room="ops")
    await chat.say('!incident resolve --force "fixed" --id 2', user="alice", room="ops")
    said = [m.text for m in chat.messages("ops") if m.text.startswith("📝")]
    assert said == [
        "📝 A postmortem is optional for INC-1 (Sev3): !postmortem start --id 1 if there is something to learn."
    ]
    assert [m for m in await chat.advance("6d") if m.text.startswith("📝")] == []


class Unreachable(FakeTransport):
    """A platform that cannot be reached until ``back`` is set."""

    back = False

    async def send(
        self, room_id: str, content: Content, thread: ThreadRef | None, idempotency_key: str | None = None
    ) -> MessageRef:
        if not self.back:
            raise ConnectionError("the platform is unreachable")
        return await super().send(room_id, content, thread, idempotency_key)


async def test_a_thread_that_cannot_be_started_leaves_no_orphan_and_is_started_later(
    chat_factory: Chat,
) -> None:
    chat = await threaded(chat_factory, config={})
    down = Unreachable(chat.app, capabilities=THREADS)
    chat.app.transports["test"] = chat.transport = down
    await chat.say('!incident declare "Search is slow" --sev 3', user="alice", room="ops")
    down.back = True
    await (
        chat.app.outbound.deliver_pending()
    )  # the declaration's answer waited in the outbox; the root did not
    assert not any(m.text.startswith("INC-1 ·") for m in chat.messages("ops"))
    assert any("Room: not created" in m.text for m in chat.messages("ops"))
    said = await chat.say("!incident sev 3 --id 1", user="alice", room="ops")  # the same severity again
    assert "INC-1 is Sev3; Room: a thread in ops" in [m.text for m in said]
    root = root_of_thread(chat)
    assert (await chat.reply("!incident status", user="alice", room="ops", thread=root)).startswith(
        "INC-1 · Sev3"
    )

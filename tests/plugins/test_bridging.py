"""One incident, rooms on two platforms: what bridging does, in the in-process harness.

The harness's transport ("test", labelled Test) stands for one platform and a
second fake transport ("beta", labelled Beta) for another.  The real
platforms (Synapse, the local Slack and Discord) run the same story in
``tests/matrix/test_one_incident_three_platforms.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from chatops.app import App
from chatops.config import load_config
from chatops.models.chat import Capabilities, MessageEdited
from chatops.testing import Harness
from chatops.testing.fake import FakeTransport, Sent
from chatops.testing.harness import sqlite_url

Chat = Callable[..., Awaitable[Harness]]
CAN = Capabilities(edits=True, pins=True, threads=True)


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return {
        "bridging": {"enabled": True},
        "oncall": {
            "people": {
                "alice": {"accounts": ["test:alice", "beta:alice"]},
                "bob": {"accounts": ["test:bob", "beta:bob"]},
            }
        },
    }


async def two_platforms(
    chat_factory: Chat, beta: Capabilities = CAN, **kwargs: Any
) -> tuple[Harness, FakeTransport]:
    chat = await chat_factory(capabilities=CAN, **kwargs)
    other = FakeTransport(chat.app, "beta", capabilities=beta)
    chat.app.transports["beta"] = other
    return chat, other


def texts(sent: list[Sent], room: str) -> list[str]:
    return [m.text for m in sent if m.room == room]


async def declare_bridged(chat: Harness) -> None:
    answer = await chat.reply('!incident declare "Checkout down" --sev 2 --also beta', user="alice")
    assert answer.startswith('INC-1 declared · Sev2 · "Checkout down"')


async def test_declare_also_opens_the_room_on_the_other_platform_and_says_so_in_both(
    chat_factory: Chat,
) -> None:
    chat, beta = await two_platforms(chat_factory)
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    assert beta.invited[room] == ["beta:alice"]  # the declarer, through the identity map
    assert beta.moderators[room] == {"beta:alice"}  # the IC moderates there too
    assert texts(beta.sent, room)[0].startswith("INC-1 · Sev2")  # its own status message, pinned
    assert beta.pins
    [notice] = [t for t in texts(beta.sent, room) if t.startswith("🔗")]
    assert "Test inc-1-checkout-down · Beta inc-1-checkout-down" in notice
    assert [t for t in texts(chat.transport.sent, room) if t.startswith("🔗")] == [notice]


async def test_what_a_person_writes_is_copied_to_the_other_rooms_once_with_name_and_platform(
    chat_factory: Chat,
) -> None:
    chat, beta = await two_platforms(chat_factory)
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    mark = len(beta.sent)
    sent = await chat.say("the error rate is climbing", user="alice", room=room, event_id="e1")
    assert texts(sent, room) == []  # never echoed where it was written
    assert texts(beta.sent[mark:], room) == ["alice (Test): the error rate is climbing"]
    await chat.say("the error rate is climbing", user="alice", room=room, event_id="e1")  # delivered again
    assert len(beta.sent) == mark + 1


async def test_a_command_from_the_other_room_finds_the_incident_and_answers_in_both(
    chat_factory: Chat,
) -> None:
    chat, beta = await two_platforms(chat_factory)
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    test_mark, beta_mark = len(chat.transport.sent), len(beta.sent)
    await chat.app.dispatcher.handle(beta.message('!incident note "pool at 100%"', "bob", room))
    assert texts(chat.transport.sent[test_mark:], room) == [
        'bob (Beta): !incident note "pool at 100%"',
        "Noted on INC-1.",
    ]
    assert texts(beta.sent[beta_mark:], room) == ["Noted on INC-1."]


async def test_a_role_held_on_one_platform_counts_on_the_other_and_a_new_holder_joins_on_theirs(
    chat_factory: Chat,
) -> None:
    chat, beta = await two_platforms(chat_factory)
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    # alice declared on Test, so she is IC there; from Beta she is the same person
    await chat.app.dispatcher.handle(beta.message("!incident sev 1", "alice", room))
    assert any(t.startswith("INC-1 severity Sev2 → Sev1") for t in texts(beta.sent, room))
    # bob, named on Test, is invited into the Beta room with his account there
    answer = await chat.reply("!incident role tech-lead @bob", user="alice", room=room)
    assert answer.startswith("@bob is now Tech Lead of INC-1")
    assert "beta:bob" in beta.invited[room]


async def test_the_status_message_is_edited_in_every_room(chat_factory: Chat) -> None:
    chat, beta = await two_platforms(chat_factory)
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    beta_status = beta.refs[next(i for i, m in enumerate(beta.sent) if m.text.startswith("INC-1 · Sev2"))]
    await chat.say('!incident identified "a bad deploy"', user="alice", room=room)
    assert any(ref == beta_status and "identified" in text.lower() for ref, text in beta.edits)


async def test_a_reply_in_a_thread_goes_into_the_thread_of_the_copy(chat_factory: Chat) -> None:
    chat, beta = await two_platforms(chat_factory)
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    await chat.say("look at the db graphs", user="alice", room=room, event_id="root-1")
    copy = beta.refs[-1]
    await chat.say("they are flat", user="alice", room=room, event_id="reply-1", thread="root-1")
    assert beta.sent[-1].text == "alice (Test): they are flat"
    assert beta.sent[-1].thread is not None and beta.sent[-1].thread.id == copy


async def test_an_edit_follows_into_the_copies(chat_factory: Chat) -> None:
    chat, beta = await two_platforms(chat_factory)
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    await chat.say("rollback in 5", user="alice", room=room, event_id="m-7")
    copy = beta.refs[-1]
    where = chat.transport.room(room)
    await chat.app.bridges.edited(
        MessageEdited(
            room=where, sender=chat.transport.user("alice"), message_id="m-7", text="rollback in 10"
        )
    )
    assert beta.edits[-1] == (copy, "alice (Test): rollback in 10")


async def test_a_restart_sends_no_copy_twice(chat_factory: Chat) -> None:
    chat, beta = await two_platforms(chat_factory)
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    await chat.say("first", user="alice", room=room, event_id="x-1")
    restarted = await chat.restart()
    again = FakeTransport(restarted.app, "beta", capabilities=CAN)
    restarted.app.transports["beta"] = again
    await restarted.say("first", user="alice", room=room, event_id="x-1")  # the platform replays it
    await restarted.say("second", user="alice", room=room, event_id="x-2")
    assert texts(beta.sent, room)[-1] == "alice (Test): first"
    assert texts(again.sent, room) == ["alice (Test): second"]


async def test_the_timeline_says_which_platform_each_step_came_from(chat_factory: Chat) -> None:
    chat, beta = await two_platforms(chat_factory)
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    await chat.app.dispatcher.handle(beta.message('!incident note "from the vendor"', "bob", room))
    timeline = await chat.reply("!incident timeline", user="alice", room=room)
    assert "@alice (Test)  declared" in timeline
    assert "@alice (Test)  room inc-1-checkout-down opened on Beta, bridged" in timeline
    assert "@bob (Beta)  note: from the vendor" in timeline


async def test_bridging_is_opt_in(chat_factory: Chat) -> None:
    chat, _ = await two_platforms(chat_factory, config={"bridging": {"enabled": False}})
    answer = await chat.reply('!incident declare "Checkout down" --sev 2 --also beta')
    assert answer == "Bridging is off in this deployment: set `bridging: {enabled: true}` in the config."
    assert "No open incidents" in await chat.reply("!incident list")


async def test_an_unknown_platform_is_named_before_anything_is_declared(chat_factory: Chat) -> None:
    chat, _ = await two_platforms(chat_factory)
    answer = await chat.reply('!incident declare "Checkout down" --also bteta')
    assert answer.startswith("--also: No platform named bteta here; configured: test, beta.")
    assert "Usage: !incident declare" in answer


async def test_a_platform_that_does_not_give_the_messages_cannot_be_bridged(chat_factory: Chat) -> None:
    chat, _ = await two_platforms(chat_factory, beta=CAN.model_copy(update={"reads_messages": False}))
    answer = await chat.reply('!incident declare "Checkout down" --sev 2 --also beta')
    assert answer.startswith("Beta does not give me the messages typed there")
    assert "text_commands" in answer


class Encrypted(FakeTransport):
    """A platform whose rooms are end-to-end encrypted (as Matrix's can be)."""

    async def encrypted(self, room_id: str) -> bool:
        return True


async def test_an_encrypted_room_is_not_copied_to_a_platform_without_encryption(chat_factory: Chat) -> None:
    chat = await chat_factory(capabilities=CAN.model_copy(update={"end_to_end_encrypted": True}))
    secret = Encrypted(chat.app, "test", capabilities=CAN.model_copy(update={"end_to_end_encrypted": True}))
    chat.app.transports["test"] = chat.transport = secret
    chat.app.transports["beta"] = FakeTransport(chat.app, "beta", capabilities=CAN)
    answer = await chat.reply('!incident declare "Checkout down" --sev 2 --also beta')
    assert answer.startswith("This room is end-to-end encrypted and Beta is not: I won't copy it there.")


async def test_an_admin_may_allow_it_and_every_room_says_so(chat_factory: Chat) -> None:
    chat = await chat_factory(
        capabilities=CAN, config={"bridging": {"enabled": True, "allow_unencrypted": True}}
    )
    secret = Encrypted(chat.app, "test", capabilities=CAN.model_copy(update={"end_to_end_encrypted": True}))
    chat.app.transports["test"] = chat.transport = secret
    beta = FakeTransport(chat.app, "beta", capabilities=CAN)
    chat.app.transports["beta"] = beta
    await chat.reply('!incident declare "Checkout down" --sev 2 --also beta')
    [warning] = [t for t in texts(beta.sent, "inc-1-checkout-down") if "⚠️" in t]
    assert "Some of these rooms are end-to-end encrypted and others are not" in warning


async def test_bridge_later_from_the_incident_room(chat_factory: Chat) -> None:
    chat, beta = await two_platforms(chat_factory)
    await chat.reply('!incident declare "Checkout down" --sev 2', user="alice")
    room = "inc-1-checkout-down"
    sent = await chat.say("!incident bridge beta", user="alice", room=room)
    assert any(t.startswith("🔗 INC-1 is one conversation across Test") for t in texts(sent, room))
    assert texts(beta.sent, room)[0].startswith("INC-1 · Sev2")
    assert (
        await chat.reply("!incident bridge beta", user="alice", room=room)
        == "INC-1 already has a room on Beta."
    )


async def test_a_rule_bridges_the_severities_it_names(chat_factory: Chat) -> None:
    rules = {"bridge_rules": [{"severities": [1], "also": ["beta"]}]}
    chat, beta = await two_platforms(chat_factory, config={"bridging": {"enabled": True}, "incident": rules})
    await chat.reply('!incident declare "Checkout down" --sev 2', user="alice")
    assert beta.sent == []
    await chat.say("!incident sev 1", user="alice", room="inc-1-checkout-down")
    assert any(t.startswith("🔗 INC-1") for t in texts(beta.sent, "inc-1-checkout-down"))


async def test_a_reply_in_the_thread_of_a_copy_goes_into_the_thread_of_the_original(
    chat_factory: Chat,
) -> None:
    chat, beta = await two_platforms(chat_factory)
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    await chat.say("look at the db graphs", user="alice", room=room, event_id="root-2")
    copy = beta.refs[-1]
    mark = len(chat.transport.sent)
    await chat.app.dispatcher.handle(beta.message("flat here too", "bob", room, thread=copy))
    [mirrored] = chat.transport.sent[mark:]
    assert mirrored.text == "bob (Beta): flat here too"
    assert mirrored.thread is not None and mirrored.thread.id == "root-2"


async def test_each_copy_of_the_status_is_rendered_for_its_own_platform(chat_factory: Chat) -> None:
    chat, beta = await two_platforms(chat_factory, beta=CAN.model_copy(update={"buttons": True}))
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    status = beta.refs[next(i for i, m in enumerate(beta.sent) if m.text.startswith("INC-1 · Sev2"))]
    await chat.say('!incident identified "a bad deploy"', user="alice", room=room)
    beta_edit = next(text for ref, text in reversed(beta.edits) if ref == status)
    test_edit = next(text for ref, text in reversed(chat.transport.edits) if "identified" in text)
    assert "[" in beta_edit and "!incident" in beta_edit.split("\n")[-1]  # Beta has buttons: they stay
    assert "[" not in test_edit.split("\n")[-1]  # Test has none: none are printed there


async def test_a_private_incident_knows_its_people_by_any_of_their_accounts(chat_factory: Chat) -> None:
    chat, beta = await two_platforms(chat_factory)
    await chat.reply('!incident declare "Payroll leak" --sev 2 --private --also beta', user="alice")
    room = "inc-1-payroll-leak"
    await chat.app.dispatcher.handle(beta.message("!incident sev 1", "alice", room))
    assert any(t.startswith("INC-1 severity Sev2 → Sev1") for t in texts(beta.sent, room))
    await chat.app.dispatcher.handle(beta.message("!incident sev 2", "mallory", room))
    assert texts(beta.sent, room)[-1] == "INC-1 is private: only its participants and admins can use it."


async def test_only_the_author_edits_a_copy(chat_factory: Chat) -> None:
    chat, beta = await two_platforms(chat_factory)
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    await chat.say("rollback in 5", user="alice", room=room, event_id="m-8")
    where = chat.transport.room(room)
    edits = len(beta.edits)
    forged = MessageEdited(
        room=where, sender=chat.transport.user("mallory"), message_id="m-8", text="all fine"
    )
    await chat.app.bridges.edited(forged)
    assert len(beta.edits) == edits


async def test_a_room_that_turns_encryption_on_is_no_longer_copied_in_plain_text(chat_factory: Chat) -> None:
    chat, beta = await two_platforms(chat_factory)
    await declare_bridged(chat)
    room = "inc-1-checkout-down"
    secret = Encrypted(chat.app, "test", capabilities=CAN.model_copy(update={"end_to_end_encrypted": True}))
    secret.rooms, secret.sent, secret.refs = chat.transport.rooms, chat.transport.sent, chat.transport.refs
    chat.app.transports["test"] = chat.transport = secret
    mark = len(beta.sent)
    await chat.say("the customer list is in bucket x", user="alice", room=room)
    await chat.say("!incident note checked", user="alice", room=room)
    assert texts(beta.sent[mark:], room) == []


class Hanging(FakeTransport):
    """A platform that takes every message and never answers (until released)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.release = asyncio.Event()

    async def send(self, room_id: str, content: Any, thread: Any, idempotency_key: str | None = None) -> Any:
        await self.release.wait()
        return await super().send(room_id, content, thread, idempotency_key)


async def test_a_platform_that_hangs_holds_up_only_its_own_rooms(tmp_path: Path) -> None:
    """On the real clock: the answer in the room the command came from does not wait for a bridged
    platform that does not answer; the copy goes once that platform is back."""
    overrides = {"web": {"enabled": False}, "transports": {}, "bridging": {"enabled": True}}
    app = App(load_config(None, db_url=sqlite_url(tmp_path), environ={}, overrides=overrides), transports={})
    here, stuck = FakeTransport(app, "test"), Hanging(app, "beta")
    app.transports.update(test=here, beta=stuck)
    await app.start()
    try:
        await app.db.write(lambda tx: app.bridges.link(tx, "test:ops", "beta:ops"))
        await app.dispatcher.handle(here.message("!incident list", "alice", "ops"))
        [answer] = [m.text for m in here.sent]  # answered without waiting on beta
        assert answer.startswith("No open incidents.")
        stuck.release.set()
        await app.outbound.deliver_pending()
        await app.outbound.stop()
        assert [m.text for m in stuck.sent] == ["alice (Test): !incident list", answer]
    finally:
        stuck.release.set()
        await app.stop()

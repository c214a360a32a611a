"""A Sev3 on Matrix is worked in an m.thread of the room it was declared in; raised to Sev1 it gets
its own room.  On a real Synapse, driven by a person using plain matrix-nio."""

from __future__ import annotations

from conftest import Bot, People
from test_lifecycle import lobby_with_bot


def thread_root(content: dict[str, object]) -> object:
    relation = content.get("m.relates_to")
    return (
        relation.get("event_id")
        if isinstance(relation, dict) and relation.get("rel_type") == "m.thread"
        else None
    )


async def test_a_sev3_lives_in_a_thread_until_it_is_raised(people: People, bot: Bot) -> None:
    alice = await people.person("alice")
    lobby = await lobby_with_bot(alice, bot)
    await alice.say(lobby, '!incident declare "Search is slow" --sev 3')
    root = await alice.wait_for(
        lambda: next(
            (n for n in alice.notices(lobby, bot.user_id) if n.body.startswith("INC-1 · Sev3")), None
        )
    )
    declared = await alice.wait_for(
        lambda: next((n for n in alice.notices(lobby, bot.user_id) if "INC-1 declared" in n.body), None)
    )
    assert "Room: a thread in ops lobby" in declared.body
    assert not any(name.startswith("INC-1") for name in alice.invites.values())  # no room
    root_id = root.event.event_id
    in_thread = {"m.relates_to": {"rel_type": "m.thread", "event_id": root_id, "is_falling_back": True}}

    await alice.say(lobby, "!incident note index rebuild started", **in_thread)
    noted = await alice.wait_for(
        lambda: next((n for n in alice.notices(lobby, bot.user_id) if n.body == "Noted on INC-1."), None)
    )
    assert thread_root(noted.content) == root_id  # answered in the thread

    await alice.say(lobby, "!incident sev 1 checkout is affected", **in_thread)
    room = await alice.join_invited("INC-1 · Search is slow")
    moved = await alice.wait_for(
        lambda: next((n for n in alice.notices(lobby, bot.user_id) if "now has its own room" in n.body), None)
    )
    assert moved.body == "INC-1 now has its own room: INC-1 · Search is slow"  # its name on Matrix
    assert thread_root(moved.content) == root_id
    status = await alice.wait_for(lambda: next(iter(alice.notices(room, bot.user_id)), None))
    assert status.body.startswith('INC-1 · Sev1 · investigating · "Search is slow"')
    await alice.say(room, "!incident note now in the room")
    await alice.wait_for(lambda: any(n.body == "Noted on INC-1." for n in alice.notices(room, bot.user_id)))

"""Duplicates (issue #13): related incidents are linked both ways; a duplicate is merged into the
incident that carries on, closed with a pointer there, and counted once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatops.testing import Harness

ONE = "inc-1-checkout-api-errors"  # Sev2, IC @alice
TWO = "inc-2-payments-failing"  # Sev3, IC @bob


@pytest.fixture
def chatops_db_url(any_db_url: str) -> str:
    return any_db_url


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return {"admins": ["test:root"]}


async def two_incidents(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await chat.advance("2m")
    await chat.say('!incident declare "Payments failing" --sev 3', user="bob")


async def status(chat: Harness, room: str) -> list[str]:
    return (await chat.reply("!incident status", user="alice", room=room)).splitlines()


async def timeline(chat: Harness, room: str) -> list[str]:
    return (await chat.reply("!incident timeline", user="alice", room=room)).splitlines()[1:]


def own_events(lines: list[str]) -> list[str]:
    """Timeline lines without the declaration's boilerplate (role, room, meeting link)."""
    return [line for line in lines if not any(w in line for w in ("Commander →", "opened", "conference"))]


# --- link ---


async def test_a_link_shows_in_both_statuses_timelines_and_rooms(chat: Harness) -> None:
    await two_incidents(chat)
    sent = await chat.say("!incident link INC-1", user="bob", room=TWO)
    assert [(m.room, m.text) for m in sent] == [
        (TWO, "INC-2 is now related to INC-1."),
        (ONE, "INC-1 is now related to INC-2. (by @bob)"),
    ]
    assert "Related: INC-1" in await status(chat, TWO)
    assert "Related: INC-2" in await status(chat, ONE)
    assert "14:02 UTC  @bob  related to INC-2" in await timeline(chat, ONE)
    assert "14:02 UTC  @bob  related to INC-1" in await timeline(chat, TWO)
    # the live status messages were edited too
    edited = [text for _, text in chat.transport.edits]
    assert any("Related: INC-1" in t for t in edited) and any("Related: INC-2" in t for t in edited)


async def test_link_from_anywhere_with_id_and_unlink(chat: Harness) -> None:
    await two_incidents(chat)
    assert await chat.reply("!incident link 2 --id 1", user="carol") == "INC-1 is now related to INC-2."
    assert await chat.reply("!incident unlink INC-1", user="carol", room=TWO) == (
        "INC-2 is no longer related to INC-1."
    )
    assert not [line for line in await status(chat, ONE) if line.startswith("Related")]
    assert "14:02 UTC  @carol  no longer related to INC-2" in await timeline(chat, ONE)
    assert (
        await chat.reply("!incident unlink INC-1", user="carol", room=TWO) == "INC-2 and INC-1 aren't linked."
    )


async def test_link_refusals_change_nothing(chat: Harness) -> None:
    await two_incidents(chat)
    await chat.say('!incident declare "Leaked token" --sev 1 --private', user="carol")
    await chat.say("!incident link INC-1", user="bob", room=TWO)
    link = lambda text: chat.reply(text, user="bob", room=TWO)  # noqa: E731
    assert await link("!incident link INC-1") == "INC-2 and INC-1 are already linked."
    assert await link("!incident link INC-2") == "INC-2 can't be linked to itself; name another incident."
    assert await link("!incident link INC-99") == "No incident INC-99. See !incident list"
    # a private incident bob cannot see gets the same answer as one that does not exist
    assert await link("!incident link INC-3") == "No incident INC-3. See !incident list"
    assert await link("!incident link banana") == (
        "Other: 'banana' is not an incident id; use e.g. 42 or INC-42.\n"
        "Usage: !incident link <other> [--id N]   — e.g. !incident link INC-7"
    )
    assert [line for line in await status(chat, TWO) if line.startswith("Related")] == ["Related: INC-1"]
    assert len([line for line in await timeline(chat, TWO) if "related to" in line]) == 1


# --- merge ---


async def merge_two_into_one(chat: Harness) -> None:
    await chat.say("!incident note card declines spike", user="bob", room=TWO)
    await chat.advance("1m")
    await chat.say("!incident note rolled back 1234", user="alice", room=ONE)
    await chat.say("!incident role ic @alice", user="bob", room=TWO)  # the duplicate's IC hands over
    await chat.advance("1m")


async def test_merge_closes_the_duplicate_with_a_pointer_and_the_survivor_tells_both(chat: Harness) -> None:
    await two_incidents(chat)
    await merge_two_into_one(chat)
    sent = await chat.say("!incident merge INC-1", user="alice", room=TWO)
    assert [(m.room, m.text) for m in sent] == [
        (TWO, "INC-2 is resolved as a duplicate of INC-1. Follow it in inc-1-checkout-api-errors."),
        (ONE, "INC-2 was merged into INC-1 as a duplicate; its events are in this timeline now. (by @alice)"),
    ]
    assert await status(chat, TWO) == [
        'INC-2 · Sev3 · resolved · "Payments failing"',
        "IC @alice · Tech Lead — · Comms Lead —",
        "Duplicate of INC-1 (merged) · follow it in inc-1-checkout-api-errors",
        "Room: inc-2-payments-failing",
    ]
    assert chat.transport.topic(TWO) == (
        "INC-2 · resolved · duplicate of INC-1 → inc-1-checkout-api-errors · Payments failing"
    )
    assert "Merged: INC-2" in await status(chat, ONE)
    assert own_events(await timeline(chat, TWO))[-2:] == [
        "14:04 UTC  @alice  investigating → resolved: duplicate of INC-1",
        "14:04 UTC  @alice  merged into INC-1 as a duplicate",
    ]


async def test_the_survivors_timeline_has_both_in_order_each_line_marked(chat: Harness) -> None:
    await two_incidents(chat)
    await merge_two_into_one(chat)
    await chat.say("!incident merge INC-1", user="alice", room=TWO)
    assert own_events(await timeline(chat, ONE)) == [
        '14:00 UTC  @alice  declared "Checkout API errors" · Sev2',
        '14:02 UTC  @bob  [INC-2] declared "Payments failing" · Sev3',
        "14:02 UTC  @bob  [INC-2] note: card declines spike",
        "14:03 UTC  @alice  note: rolled back 1234",
        "14:04 UTC  @alice  [INC-2] investigating → resolved: duplicate of INC-1",
        "14:04 UTC  @alice  [INC-2] merged into INC-1 as a duplicate",
        "14:04 UTC  @alice  INC-2 merged in as a duplicate",
    ]


async def test_metrics_count_a_merged_duplicate_once(chat: Harness) -> None:
    from chatops_plugins.metrics import incidents_report

    await two_incidents(chat)
    await chat.say("!incident tag payments", user="bob", room=TWO)
    first = (await chat.reply("!metrics")).splitlines()[0]
    assert first == "All incidents: 2 (Sev2: 1, Sev3: 1); near-misses: 0"
    await merge_two_into_one(chat)
    await chat.say("!incident merge INC-1", user="alice", room=TWO)
    assert (await chat.reply("!metrics")).splitlines()[0] == "All incidents: 1 (Sev2: 1); near-misses: 0"
    report = json.loads(await incidents_report(chat.app, None, "json", None))
    assert report["incidents"] == 1 and report["by_severity"] == {"2": 1}
    # a restart's backfill does not bring the duplicate back
    chat = await chat.restart()
    assert (await chat.reply("!metrics")).splitlines()[0] == "All incidents: 1 (Sev2: 1); near-misses: 0"


async def test_an_admin_may_merge_and_a_resolved_duplicate_keeps_its_resolution(chat: Harness) -> None:
    await two_incidents(chat)
    await chat.say('!incident resolve --force "looked fine"', user="bob", room=TWO)
    reply = await chat.reply("!incident merge INC-1 --id 2", user="root")
    assert reply == "INC-2 is resolved as a duplicate of INC-1. Follow it in inc-1-checkout-api-errors."
    events = own_events(await timeline(chat, TWO))
    assert "14:02 UTC  @bob  investigating → resolved (forced: looked fine)" in events
    assert events[-1] == "14:02 UTC  @root  merged into INC-1 as a duplicate"
    assert not [line for line in events if "duplicate of INC-1" in line]


async def test_merge_permission_is_needed_on_both_incidents(chat: Harness) -> None:
    await two_incidents(chat)
    on_duplicate = await chat.reply("!incident merge INC-1", user="alice", room=TWO)
    assert (
        on_duplicate
        == "Only the Incident Commander (@bob) or an admin can merge duplicates (on both incidents)."
    )
    on_survivor = await chat.reply("!incident merge INC-1", user="bob", room=TWO)
    assert on_survivor == (
        "Can't merge into INC-1: only the Incident Commander (@alice) or an admin can merge duplicates "
        "(on both incidents). Hand INC-2 to INC-1's commander first (!incident role ic @alice --id 2), "
        "then @alice can merge it."
    )
    assert "Merged" not in "\n".join(await status(chat, ONE))


async def test_merge_refusals_change_nothing(chat: Harness) -> None:
    await two_incidents(chat)
    await chat.say('!incident declare "Search is slow" --sev 3', user="alice")  # INC-3
    await chat.say("!incident role ic @alice", user="bob", room=TWO)
    merge = lambda text, room=TWO: chat.reply(text, user="alice", room=room)  # noqa: E731
    assert await merge("!incident merge INC-2") == (
        "INC-2 can't be merged into itself; name the incident it duplicates."
    )
    assert await merge("!incident merge INC-99") == "No incident INC-99. See !incident list"
    await chat.say('!incident resolve --force "done"', user="alice", room="inc-3-search-is-slow")
    assert await merge("!incident merge INC-3") == (
        'INC-3 is resolved. If the problem is back, reopen it first (!incident reopen "<reason>" --id 3), '
        "then merge; or link them instead: !incident link INC-3 --id 2"
    )
    assert own_events(await timeline(chat, TWO)) == ['14:02 UTC  @bob  declared "Payments failing" · Sev3']

    assert (await merge("!incident merge INC-1")).startswith("INC-2 is resolved as a duplicate of INC-1.")
    assert await merge("!incident merge INC-1") == "INC-2 is already merged into INC-1."
    assert await merge("!incident merge INC-2", room=ONE) == (
        "INC-2 is a duplicate already merged into INC-1; an incident can't be merged into its own duplicate."
    )
    assert await merge('!incident reopen "it came back"') == (
        'INC-2 was merged into INC-1 as a duplicate; reopen INC-1 instead: !incident reopen "<reason>" --id 1'
    )
    assert await merge("!incident unlink INC-1") == (
        "INC-2 and INC-1 are merged; a merge is not undone by unlinking."
    )
    assert await merge("!incident link INC-1") == "INC-2 is already merged into INC-1."


async def test_merging_into_a_merged_duplicate_names_where_it_went(chat: Harness) -> None:
    await two_incidents(chat)
    await chat.say('!incident declare "Search is slow" --sev 3', user="alice")  # INC-3
    await chat.say("!incident merge INC-1 --id 3", user="alice")
    assert await chat.reply("!incident merge INC-3 --id 2", user="root") == (
        "INC-3 was merged into INC-1 as a duplicate; merge into INC-1 instead: !incident merge INC-1 --id 2"
    )


async def test_a_private_duplicate_goes_into_a_public_incident_only_by_an_admin(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="carol")
    await chat.say('!incident declare "Card data exposure" --sev 1 --private', user="carol")
    room = "inc-2-card-data-exposure"
    await chat.say("!incident note attacker ip 10.0.0.7", user="carol", room=room)
    refused = await chat.reply("!incident merge INC-1", user="carol", room=room)
    assert refused == (
        "INC-2 is private and INC-1 is not: merging would show INC-2's private timeline to everyone "
        "who can see INC-1. Only an admin can merge them; or link them instead: !incident link INC-1 --id 2"
    )
    assert "attacker" not in "\n".join(await timeline(chat, "inc-1-checkout-api-errors"))
    done = await chat.reply("!incident merge INC-1 --id 2", user="root")
    assert done.startswith("INC-2 is resolved as a duplicate of INC-1.")
    assert "14:00 UTC  @carol  [INC-2] note: attacker ip 10.0.0.7" in await timeline(
        chat, "inc-1-checkout-api-errors"
    )


async def test_links_and_merges_survive_a_restart_and_are_exported(chat: Harness) -> None:
    from chatops_plugins.incident import chatops_export

    await two_incidents(chat)
    await chat.say('!incident declare "Search is slow" --sev 3', user="alice")  # INC-3
    await chat.say("!incident link INC-3", user="alice", room=ONE)
    await merge_two_into_one(chat)
    await chat.say("!incident merge INC-1", user="alice", room=TWO)
    chat = await chat.restart()
    assert "Related: INC-3" in await status(chat, ONE) and "Merged: INC-2" in await status(chat, ONE)
    assert "Duplicate of INC-1 (merged) · follow it in inc-1-checkout-api-errors" in await status(chat, TWO)
    assert "14:04 UTC  @alice  [INC-2] merged into INC-1 as a duplicate" in await timeline(chat, ONE)

    one, two, three = (await chatops_export(chat.app))["incidents"]
    assert (one["related"], one["duplicate_of"], one["merged"]) == (["INC-3"], None, ["INC-2"])
    assert (two["related"], two["duplicate_of"], two["merged"]) == ([], "INC-1", [])
    assert (three["related"], three["duplicate_of"], three["merged"]) == (["INC-1"], None, [])
    assert two["status"] == "resolved"
    assert [h["text"] for h in two["status_history"]][-1] == "duplicate of INC-1"
    assert [e["kind"] for e in two["timeline"]][-1] == "merged_into"
    assert [e["data"] for e in one["timeline"] if e["kind"] == "duplicate_merged"] == [{"other_id": 2}]


async def test_duplicates_of_a_duplicate_come_along_into_the_survivors_timeline(chat: Harness) -> None:
    await two_incidents(chat)
    await chat.say('!incident declare "Refunds stuck" --sev 3', user="bob")  # INC-3
    await chat.say("!incident note refund queue at 5k", user="bob", room="inc-3-refunds-stuck")
    await chat.say("!incident merge INC-2 --id 3", user="bob")
    await chat.say("!incident merge INC-1 --id 2", user="root")
    lines = await timeline(chat, ONE)
    assert "14:02 UTC  @bob  [INC-3] note: refund queue at 5k" in lines
    assert "14:02 UTC  @root  [INC-2] merged into INC-1 as a duplicate" in lines
    assert "Merged: INC-2" in await status(chat, ONE)

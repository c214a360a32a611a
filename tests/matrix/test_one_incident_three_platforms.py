"""One incident run from Matrix, Slack and Discord at once, across a restart.

alice works on Matrix (the real Synapse), bob on Slack and carol on Discord
(the local servers, through slack-sdk and discord.py).  alice declares on
Matrix with ``--also slack,discord``, hands the IC role to bob, bob raises
the severity from Slack, alice pages carol, chatops restarts, and carol
acknowledges the page from Discord.  Every room shows every step, once
each, in the same order; each person's words reach the other rooms with
their name and platform.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from three_platforms import DISCORD_BOB, SLACK_BOB, ThreePlatforms

ROOM = "inc-1-checkout-down"


def scenario_config(people: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "bridging": {"enabled": True},
        "oncall": {"people": {key: {"accounts": accounts} for key, accounts in people.items()}},
    }


def in_order_once(texts: Sequence[str], steps: Sequence[str]) -> None:
    """Each step (a prefix) is said exactly once, and in this order."""
    found: list[int] = []
    for step in steps:
        hits = [i for i, text in enumerate(texts) if text.startswith(step)]
        assert len(hits) == 1, f"{step!r} said {len(hits)} times in {texts!r}"
        found += hits
    assert found == sorted(found), f"out of order: {steps!r} in {texts!r}"


@pytest.fixture
def three_platforms_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    people = request.getfixturevalue("people")
    return scenario_config(
        {
            "alice": [f"matrix:{people.mxid('alice')}"],
            "bob": [f"slack:{SLACK_BOB}"],
            "carol": [f"discord:{DISCORD_BOB}"],
        }
    )


async def test_one_incident_across_matrix_slack_and_discord(three_platforms: ThreePlatforms) -> None:
    three = three_platforms
    three.discord.add_user(DISCORD_BOB, "carol")
    alice = await three.matrix_person("alice")
    lobby = await three.matrix_room(alice)
    me = alice.localpart  # alice's name as chatops shows it (the test's users are unique per run)

    # --- alice declares on Matrix, with rooms on Slack and Discord too
    answer = await three.matrix_reply(
        alice, lobby, '!incident declare "Checkout down" --sev 2 --also slack,discord'
    )
    assert answer.startswith('INC-1 declared · Sev2 · "Checkout down"'), answer
    room = await alice.join_invited("INC-1 · Checkout down")
    slack_room = await three.slack.wait_for(lambda: three.slack.channel_named(ROOM))
    discord_room = await three.discord.wait_for(lambda: three.discord.channel_named(ROOM))
    assert SLACK_BOB not in slack_room.members  # nobody of Slack's is in the incident yet

    def matrix_texts() -> list[str]:
        """The bot's messages in the Matrix room, each as last edited (``m.replace``)."""
        latest = {
            s.content["m.relates_to"]["event_id"]: s.content.get("m.new_content", {}).get("body", "")
            for s in alice.seen
            if s.room_id == room and s.content.get("m.relates_to", {}).get("rel_type") == "m.replace"
        }
        notices = alice.notices(room, three.matrix_bot)
        return [latest.get(s.event.event_id, s.body) for s in notices]

    def slack_texts() -> list[str]:
        return [m.text for m in three.slack_said(slack_room.id)]

    def discord_texts() -> list[str]:
        return [m.content for m in three.discord_said(discord_room.id)]

    async def everywhere(predicate: Callable[[list[str]], bool]) -> None:
        await alice.wait_for(lambda: predicate(matrix_texts()))
        await three.slack.wait_for(lambda: predicate(slack_texts()))
        await three.discord.wait_for(lambda: predicate(discord_texts()))

    def says(prefix: str) -> Callable[[list[str]], bool]:
        return lambda texts: any(t.startswith(prefix) for t in texts)

    await everywhere(says("🔗 INC-1 is one conversation across Matrix"))

    # --- alice hands the IC role to bob, who is only on Slack: he is invited there
    await alice.say(room, "!incident role ic @bob")
    await everywhere(says(f"@bob is now Incident Commander of INC-1 (was @{me})"))
    await three.slack.wait_for(lambda: SLACK_BOB in slack_room.members)

    # --- bob raises the severity from Slack; what he says first reaches Matrix and Discord
    await three.slack_say("looking at the payment gateway now", user=SLACK_BOB, channel=slack_room.id)
    await three.slack_say("!incident sev 1 customers cannot pay", user=SLACK_BOB, channel=slack_room.id)
    await everywhere(says("INC-1 severity Sev2 → Sev1"))

    # --- alice pages carol; chatops restarts before carol answers
    await alice.say(room, '!page @carol "is the replica lagging?"')
    dm = await three.discord.wait_for(lambda: three.discord.dm_with(DISCORD_BOB))
    page = await three.discord.wait_for(lambda: next(iter(dm.messages.values()), None))
    assert page.content.startswith("📟 You are paged: P-1")
    await everywhere(says("📟 "))
    await three.restart()

    # --- carol acknowledges from Discord, then says what she sees
    await three.discord.interact(three.discord.press(dm.id, page.id, "page.ack:1", DISCORD_BOB))
    await everywhere(
        lambda texts: any("acknowledged by @carol" in t for t in texts)
    )  # the page's line, edited
    await three.discord_say("yes, 40s behind; failing over", user=DISCORD_BOB, channel=discord_room.id)
    await alice.wait_for(lambda: says("carol (Discord): yes, 40s behind")(matrix_texts()))
    await three.slack.wait_for(lambda: says("carol (Discord): yes, 40s behind")(slack_texts()))
    await three.idle()

    # --- every room shows every step once, in order; nobody's words come back to their own room
    declared = [
        "INC-1 · Sev1 · investigating",  # each room's own status message, first, edited as things change
        "🔗 INC-1 is one conversation across Matrix",
    ]
    handover = [f"@bob is now Incident Commander of INC-1 (was @{me})"]
    bob_says = ["bob (Slack): looking at the payment gateway now", "bob (Slack): !incident sev 1 customers"]
    raised = ["INC-1 severity Sev2 → Sev1 (customers cannot pay)"]
    alice_pages = [f'{me} (Matrix): !page @carol "is the replica lagging?"']
    paged = ["✅ P-1 acknowledged by @carol", "P-1 is paging carol (step 1/1"]  # the page's line, as edited
    carol_says = ["carol (Discord): yes, 40s behind; failing over"]
    alice_hands_over = [f"{me} (Matrix): !incident role ic @bob"]
    in_order_once(matrix_texts(), [*declared, *handover, *bob_says, *raised, *paged, *carol_says])
    in_order_once(
        slack_texts(), [*declared, *alice_hands_over, *handover, *raised, *alice_pages, *paged, *carol_says]
    )
    in_order_once(
        discord_texts(), [*declared, *alice_hands_over, *handover, *bob_says, *raised, *alice_pages, *paged]
    )
    # nobody's words come back to their own room, and nothing is said twice
    assert not any(t.startswith(f"{me} (Matrix)") for t in matrix_texts())
    assert not any(t.startswith("carol (Discord)") for t in discord_texts())
    assert not any(t.startswith("bob (Slack)") for t in slack_texts())
    for texts in (matrix_texts(), slack_texts(), discord_texts()):
        assert len(texts) == len(set(texts)), texts  # the restart doubled nothing

    # --- the timeline says where each step came from
    timeline = await three.matrix_reply(alice, room, "!incident timeline")
    assert "(Slack)  severity Sev2 → Sev1" in timeline, timeline
    assert "(Matrix)  declared" in timeline, timeline

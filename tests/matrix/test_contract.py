"""The transport contract (tests/contract/test_transports.py), honoured by Matrix on a real Synapse;
the flags example plugin runs unchanged, its Confirm button pressed as a reaction."""

from __future__ import annotations

from pathlib import Path

from chatops_tests_contract import FLAG_ASK, FLAG_DONE, FLAGS_PLUGIN, RICH
from conftest import Bot, People
from flag_service import FLAG, Call, FlagService
from synapse_server import Synapse
from test_lifecycle import lobby_with_bot

from chatops.models.chat import MessageRef, Room
from chatops.transports.matrix.transport import MatrixTransport


async def test_matrix_honours_the_transport_contract(people: People, bot: Bot) -> None:
    assert bot.app is not None
    transport = bot.app.transports["matrix"]
    assert isinstance(transport, MatrixTransport)
    alice = await people.person("alice")
    user = transport.resolve_mention(f"@{alice.localpart}")
    assert user is not None and user.id == f"matrix:{alice.user_id}" and user.name == alice.localpart
    assert transport.resolve_mention(alice.localpart) is None
    assert transport.resolve_mention("@not a user") is None

    room = await transport.create_room(
        "inc-7-db-down", "INC-7 · Sev1", private=True, invite=[user], display_name="INC-7 · DB down"
    )
    assert isinstance(room, Room) and room.transport == "matrix" and room.private
    ref = await transport.send(room.id, RICH, None)
    assert isinstance(ref, MessageRef) and ref.room_id == room.id and ref.id.startswith("$")
    await transport.set_topic(room.id, "INC-7 · Sev1 · mitigated")
    direct = await transport.direct_room(user)
    assert direct.direct and direct.transport == "matrix"
    assert (await transport.direct_room(user)).id == direct.id


async def test_the_flags_plugin_asks_and_its_confirm_reaction_turns_the_flag_off(
    synapse: Synapse, people: People, flag_service: FlagService, tmp_path: Path
) -> None:
    await people.register("chatops")
    bot = Bot(synapse, people, tmp_path, flag_service.config(), FLAGS_PLUGIN)
    await bot.start()
    try:
        alice = await people.person("alice")
        lobby = await lobby_with_bot(alice, bot)
        asked = await alice.reply_to(lobby, f"!flag off {FLAG}", bot.user_id)
        assert asked.splitlines() == [FLAG_ASK, f"👍 Confirm (!flag off {FLAG} --confirm)"]
        assert flag_service.calls == []
        before = len(alice.notices(lobby, bot.user_id))
        await alice.press(lobby, alice.notices(lobby, bot.user_id)[-1].event.event_id, "👍")
        await alice.wait_for(lambda: len(alice.notices(lobby, bot.user_id)) > before)
        assert alice.notices(lobby, bot.user_id)[before].body == FLAG_DONE
        assert flag_service.calls == [Call("PUT", FLAG, {"enabled": False})]
    finally:
        await bot.stop()

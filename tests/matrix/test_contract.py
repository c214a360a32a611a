"""The transport contract (tests/contract/test_transports.py), honoured by Matrix on a real Synapse."""

from __future__ import annotations

from chatops_tests_contract import RICH
from conftest import Bot, People

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

"""Discord's payloads in, messages, modals and application commands out (pure functions)."""

from __future__ import annotations

from chatops.commands.declare import Arg, Command, CommandGroup, Option
from chatops.commands.registry import CommandRegistry
from chatops.models.content import Button, Buttons, Content, Form, FormField, Mention, Text
from chatops.transports.discord import commands, inbound, render


async def _noop(ctx: object) -> None: ...


def registry() -> CommandRegistry:
    group = CommandGroup("incident", help="run incidents")
    group.command(
        "declare",
        Arg("title", greedy=True, help="what is wrong"),
        Option("--sev", help="severity"),
        Option("--near-miss", is_flag=True),
    )(_noop)
    group.command("note", Option("--id"), Arg("text", greedy=True))(_noop)
    found = CommandRegistry()
    found.add("incident", group)
    found.add("core", Command("help", _noop, args=(Arg("topic", required=False),), help="list commands"))
    return found


def test_declarations_become_application_commands_with_required_options_first() -> None:
    defined = {c["name"]: c for c in commands.definitions(registry())}
    assert defined["help"]["options"] == [
        {"type": 3, "name": "topic", "description": "topic", "required": False}
    ]
    subs = {s["name"]: s for s in defined["incident"]["options"]}
    assert [(o["name"], o["type"], o["required"]) for o in subs["declare"]["options"]] == [
        ("title", 3, True),
        ("sev", 3, False),
        ("near_miss", 5, False),
    ]
    assert [o["name"] for o in subs["note"]["options"]] == ["text", "id"]


def test_an_invocation_becomes_the_text_a_person_would_type() -> None:
    data = {
        "name": "incident",
        "options": [
            {
                "type": 1,
                "name": "declare",
                "options": [
                    {"name": "title", "type": 3, "value": "DB down"},
                    {"name": "near_miss", "type": 5, "value": True},
                    {"name": "sev", "type": 3, "value": "2"},
                ],
            }
        ],
    }
    assert (
        commands.invocation_text(data, registry(), "!")
        == '!incident declare --sev "2" --near-miss -- "DB down"'
    )
    assert commands.invocation_text({"name": "help"}, registry(), "!") == "!help"
    assert commands.invocation_text({"name": "giphy"}, registry(), "!") is None


def test_registered_commands_compare_equal_despite_discords_additions() -> None:
    ours = commands.definitions(registry())
    theirs = [{**c, "id": "1", "version": "2", "application_id": "3"} for c in reversed(ours)]
    assert commands.comparable(theirs) == commands.comparable(ours)


def test_content_renders_with_real_mentions_that_ping_only_who_was_named() -> None:
    content = Content(
        (
            Text(("IC ", Mention("discord:42", "alice"), " @everyone ", Mention("slack:U1", "bob"))),
            Buttons(tuple(Button(f"B{i}", f"a:{i}", f"!x {i}") for i in range(7))),
        )
    )
    payload = render.message(content, "discord")
    assert payload["content"] == "IC <@42> @everyone @bob"
    assert payload["allowed_mentions"] == {"parse": [], "users": ["42"]}
    assert [len(row["components"]) for row in payload["components"]] == [5, 2]
    assert payload["components"][0]["components"][0] == {
        "type": 2,
        "style": 2,
        "label": "B0",
        "custom_id": "a:0",
    }


def test_long_text_moves_into_an_embed() -> None:
    payload = render.message(Content((Text(("x" * 3000,)),)), "discord")
    assert payload["content"] == "" and len(payload["embeds"][0]["description"]) == 3000


def test_a_form_becomes_a_modal_and_its_submission_named_values() -> None:
    form = Form(
        "Declare an incident",
        "incident declare",
        (
            FormField("title", "What is wrong?"),
            FormField("sev", "Severity", required=False, choices=("1", "2")),
        ),
    )
    modal = render.modal(form, "n1")
    assert modal["type"] == 9 and modal["data"]["custom_id"] == "chatops.form:n1"
    inputs = [row["components"][0] for row in modal["data"]["components"]]
    assert [(i["custom_id"], i["required"], i.get("placeholder")) for i in inputs] == [
        ("title", True, None),
        ("sev", False, "1 / 2"),
    ]
    submitted = {
        "components": [{"type": 1, "components": [{"type": 4, "custom_id": "title", "value": "DB"}]}]
    }
    assert render.submitted_values(submitted) == {"title": "DB"}


def test_typed_messages_are_commands_with_the_prefix_or_a_mention_of_the_bot() -> None:
    assert inbound.command_text("!incident list", "!", "7") == "!incident list"
    assert inbound.command_text("<@7> incident list", "!", "7") == "!incident list"
    assert inbound.command_text("<@!7>: !help", "!", "7") == "!help"
    assert inbound.command_text("the incident is over", "!", "7") is None


def test_an_http_interaction_reads_like_a_gateway_one() -> None:
    found = inbound.incoming(
        {
            "id": 1,
            "token": "t",
            "type": 2,
            "guild_id": "9",
            "channel_id": "5",
            "member": {"user": {"id": "42", "username": "alice"}, "nick": "Alice (IC)"},
            "data": {"name": "help"},
        }
    )
    assert (found.user_id, found.user_name, found.channel_id, found.direct) == (
        "42",
        "Alice (IC)",
        "5",
        False,
    )
    direct = inbound.incoming(
        {"id": 2, "token": "t", "type": 2, "user": {"id": "42", "username": "alice"}, "channel": {"id": "6"}}
    )
    assert direct.direct and direct.channel_id == "6" and direct.user_name == "alice"


def test_what_was_said_reads_with_names_not_ids() -> None:
    names = {"123": "alice", "456": "bob"}
    said = inbound.said_text(" <@123> and <@!456>, see <@789> ", lambda u: names.get(u, u))
    assert said == "@alice and @bob, see @789"

"""Slack's text markup in, Block Kit and modals out (pure functions, no Slack)."""

from __future__ import annotations

import json

from chatops.commands.compose import command_text, quote
from chatops.commands.declare import Arg, Command, Option
from chatops.models.content import Button, Buttons, Content, Fields, Form, FormField, Mention, Text
from chatops.transports.slack import inbound, render


async def _noop(ctx: object) -> None: ...


def test_slack_markup_reads_as_typed() -> None:
    assert inbound.plain_text("!incident role ic <@U123ABC|alice>") == "!incident role ic <@U123ABC>"
    assert inbound.plain_text("see <#C024BE7LR|ops> and <https://status.example.org|status>") == (
        "see #ops and https://status.example.org"
    )
    assert (
        inbound.plain_text("errors &lt; 5% &amp;&amp; p99 &gt; 2s <!here>") == "errors < 5% && p99 > 2s @here"
    )


def test_a_message_is_a_command_with_the_prefix_or_when_it_addresses_the_bot() -> None:
    assert inbound.command_text("!incident list", "!", "UBOT") == "!incident list"
    assert inbound.command_text("<@UBOT> incident list", "!", "UBOT") == "!incident list"
    assert inbound.command_text("<@UBOT>: !help", "!", "UBOT") == "!help"
    assert inbound.command_text("<@UBOT>", "!", "UBOT") is None
    assert inbound.command_text("the incident is over", "!", "UBOT") is None


def test_slash_commands_map_to_the_commands_they_were_named_for() -> None:
    names = {"incident": "incident", "chatops-help": "help"}
    assert inbound.slash_text("/incident", "declare &lt;db&gt;", "!", names) == "!incident declare <db>"
    assert inbound.slash_text("/chatops-help", "", "!", names) == "!help"
    assert inbound.slash_text("/giphy", "cats", "!", names) is None


def test_only_what_people_type_is_read() -> None:
    base = {"type": "message", "channel": "C1", "user": "U1", "text": "!help", "ts": "1.1"}
    assert inbound.typed_message(base, "UBOT")
    assert inbound.typed_message({**base, "subtype": "thread_broadcast"}, "UBOT")
    for other in (
        {"subtype": "message_changed"},
        {"subtype": "channel_join"},
        {"bot_id": "BBOT"},
        {"user": "UBOT"},
    ):
        assert not inbound.typed_message({**base, **other}, "UBOT")


def test_content_renders_as_block_kit_with_real_mentions_and_escaped_text() -> None:
    content = Content(
        (
            Text(("IC: ", Mention("slack:U1", "alice"), " & ", Mention("matrix:@bob:x", "bob"), " <b>")),
            Fields(tuple((f"k{i}", "v") for i in range(12))),
            Buttons((Button("Ack", "page.ack:1", "!page ack 1", "primary"),)),
        )
    )
    message = render.render(content, "slack")
    assert message.blocks[0]["text"]["text"] == "IC: <@U1> &amp; @bob &lt;b&gt;"
    assert [len(b.get("fields", [])) for b in message.blocks[1:3]] == [10, 2]
    (button,) = message.blocks[3]["elements"]
    assert button == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Ack", "emoji": True},
        "action_id": "page.ack:1",
        "value": "!page ack 1",
        "style": "primary",
    }
    assert message.text.startswith("IC: <@U1> &amp; @bob")


def test_long_text_is_split_into_sections_within_slacks_limits() -> None:
    message = render.render(Content((Text(("x" * 7000,)),)), "slack")
    assert [len(b["text"]["text"]) for b in message.blocks] == [3000, 3000, 1000]


def test_a_form_becomes_a_modal_and_its_submission_named_values() -> None:
    form = Form(
        "Declare an incident, with a long title",
        "incident declare",
        (
            FormField("title", "What is wrong?"),
            FormField("sev", "Severity", required=False, choices=("1", "2")),
        ),
    )
    view = render.modal(form, {"channel": "C1", "text": "!incident declare"})
    assert len(view["title"]["text"]) <= 24
    assert json.loads(view["private_metadata"]) == {"channel": "C1", "text": "!incident declare"}
    assert [b["element"]["type"] for b in view["blocks"]] == ["plain_text_input", "static_select"]
    state = {
        "title": {"value": {"type": "plain_text_input", "value": "DB down"}},
        "sev": {"value": {"type": "static_select", "selected_option": {"value": "2"}}},
    }
    assert render.submitted_values({"state": {"values": state}}) == {"title": "DB down", "sev": "2"}


def test_submitted_values_become_the_command_a_person_would_type() -> None:
    declare = Command(
        "declare",
        _noop,
        args=(Arg("title", greedy=True),),
        options=(Option("--sev"), Option("--private", is_flag=True)),
        group="incident",
    )
    text = command_text(
        "!incident declare", declare, {"title": 'DB "primary" down', "sev": " 1 ", "private": "true"}
    )
    assert text == '!incident declare --sev "1" --private -- \'DB "primary" down\''
    assert command_text("!incident note", declare, {"title": "--id=7"}) == '!incident note -- "--id=7"'
    assert (
        command_text("!incident update --id 3", declare, {"title": "", "other": "x"})
        == "!incident update --id 3"
    )
    assert quote("""it's "x" “y” «z»""") == '"it\'s ”x” “y” «z»"'


def test_what_was_said_reads_with_names_not_ids() -> None:
    names = {"U123ABC": "alice"}.get
    said = inbound.said_text(
        inbound.plain_text("ask <@U123ABC|al> about <#C1|ops> &amp; <@U999>"), lambda u: names(u) or u
    )
    assert said == "ask @alice about #ops & @U999"


def test_an_edit_is_a_person_changing_their_text() -> None:
    before = {"type": "message", "user": "UALICE", "text": "hello", "ts": "1.000001"}
    event = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": "C1",
        "ts": "2.000001",
        "message": {**before, "text": "hello world", "edited": {"user": "UALICE", "ts": "2.000001"}},
        "previous_message": before,
    }
    assert inbound.edit(event, "UBOT") == inbound.Edit(user="UALICE", ts="1.000001", text="hello world")
    unfurled = {**event, "message": {**before, "attachments": [{"from_url": "https://x"}]}}
    assert inbound.edit(unfurled, "UBOT") is None  # the text is unchanged
    ours = {**event, "message": {**event["message"], "user": "UBOT", "bot_id": "B1"}}
    assert inbound.edit(ours, "UBOT") is None
    assert inbound.edit({**event, "subtype": None}, "UBOT") is None


def test_a_deletion_names_the_message_taken_back() -> None:
    event = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": "C1",
        "ts": "3.000001",
        "deleted_ts": "1.000001",
        "previous_message": {"type": "message", "user": "UALICE", "text": "oops", "ts": "1.000001"},
    }
    assert inbound.deleted_ts(event, "UBOT") == "1.000001"
    ours = {
        **event,
        "previous_message": {"type": "message", "bot_id": "B1", "user": "UBOT", "ts": "1.000001"},
    }
    assert inbound.deleted_ts(ours, "UBOT") is None  # one of our copies
    assert inbound.deleted_ts({k: v for k, v in event.items() if k != "deleted_ts"}, "UBOT") is None

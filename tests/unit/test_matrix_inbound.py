"""Reading Matrix messages (pure functions; the transport itself is tested against Synapse)."""

from __future__ import annotations

import pytest

from chatops.models.content import Button, Buttons, Content, Fields, Mention, Text
from chatops.transports.matrix.inbound import command_text, plain_text, replacement, said_text, thread_root
from chatops.transports.matrix.render import edit, in_thread, render

BOT = "@chatops:example.org"


def html(formatted: str, body: str = "") -> dict[str, str]:
    return {
        "msgtype": "m.text",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
    }


def test_pills_become_user_ids() -> None:
    content = html(
        '!incident role tech-lead <a href="https://matrix.to/#/@bob:example.org">Bob Builder</a>',
        "!incident role tech-lead Bob Builder",
    )
    assert plain_text(content) == "!incident role tech-lead @bob:example.org"


def test_reply_fallbacks_are_dropped() -> None:
    quoted = {"msgtype": "m.text", "body": "> <@alice:example.org> the update\n\n!incident note agreed"}
    assert plain_text(quoted) == "!incident note agreed"
    formatted = html("<mx-reply><blockquote>the update</blockquote></mx-reply>!incident note agreed")
    assert plain_text(formatted) == "!incident note agreed"


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("!incident list", "!incident list"),
        ("/incident list", "/incident list"),
        ("chatops: incident list", "!incident list"),
        ("chatops, !incident list", "!incident list"),
        (f"{BOT}: incident list", "!incident list"),
        (f"{BOT} incident list", "!incident list"),
        ("chatops is down again", None),
        ("chatops:", None),
        ("anyone seeing errors?", None),
    ],
)
def test_commands_are_addressed_with_the_prefix_or_to_the_bot(text: str, command: str | None) -> None:
    assert command_text(text, "!", BOT, ("chatops",)) == command


def test_thread_roots() -> None:
    assert thread_root({"m.relates_to": {"rel_type": "m.thread", "event_id": "$root"}}) == "$root"
    assert thread_root({"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}}) is None
    assert thread_root({}) is None


def test_rendering_mentions_fields_and_buttons() -> None:
    content = Content(
        (
            Text(("Incident Commander: ", Mention("matrix:@alice:example.org", "alice"), " <b>")),
            Fields((("Severity", "Sev1"),)),
            Buttons((Button("Acknowledge", "page.ack:17", "!page ack P-17"),)),
        )
    )
    rendered = render(content)
    body = rendered.content
    assert body["msgtype"] == "m.notice"
    assert body["m.mentions"] == {"user_ids": ["@alice:example.org"]}
    assert '<a href="https://matrix.to/#/@alice:example.org">@alice</a>' in body["formatted_body"]
    assert "&lt;b&gt;" in body["formatted_body"]  # text is escaped
    assert "<tr><th>Severity</th><td>Sev1</td></tr>" in body["formatted_body"]
    assert rendered.reactions == {"👍": Button("Acknowledge", "page.ack:17", "!page ack P-17")}
    assert body["body"].splitlines() == [
        "Incident Commander: @alice <b>",
        "Severity: Sev1",
        "👍 Acknowledge (!page ack P-17)",
    ]


def test_edits_and_threads() -> None:
    rendered = render(Content((Text(("INC-1 · Sev1",)),)))
    replaced = edit("$status", rendered)
    assert replaced["m.new_content"]["body"] == "INC-1 · Sev1" and replaced["body"] == "* INC-1 · Sev1"
    assert replaced["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$status"}
    threaded = in_thread(rendered.content, "$root")
    assert (
        threaded["m.relates_to"]["rel_type"] == "m.thread" and threaded["m.relates_to"]["event_id"] == "$root"
    )


def test_undecryptable_events_are_reported_once_per_session_and_kept_until_readable() -> None:
    from nio import MegolmEvent

    from chatops.transports.matrix.crypto import Undecryptable

    def megolm(event_id: str, session: str) -> MegolmEvent:
        source = {
            "event_id": event_id,
            "sender": "@alice:example.org",
            "origin_server_ts": 0,
            "type": "m.room.encrypted",
            "content": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "x",
                "sender_key": "k",
                "device_id": "D",
                "session_id": session,
            },
        }
        return MegolmEvent.from_dict(source)  # type: ignore[return-value]

    class Keys:
        def __init__(self) -> None:
            self.readable: set[str] = set()

        def decrypt_event(self, event: MegolmEvent) -> object:
            if event.session_id not in self.readable:
                raise RuntimeError("no session")
            return f"decrypted {event.event_id}"

    pending = Undecryptable()
    assert pending.add("!r", megolm("$1", "s1")) is True
    assert pending.add("!r", megolm("$2", "s1")) is False  # same session: already reported
    assert pending.add("!r", megolm("$3", "s2")) is True
    keys = Keys()
    assert pending.retry(keys) == []  # type: ignore[arg-type]
    keys.readable.add("s1")
    assert pending.retry(keys) == [("!r", "decrypted $1"), ("!r", "decrypted $2")]  # type: ignore[arg-type]
    assert list(pending.pending) == ["$3"]


def test_what_was_said_reads_with_names_not_ids() -> None:
    content = html(
        'ask <a href="https://matrix.to/#/@bob:example.org">Bob Builder</a> &amp; me',
        "ask Bob Builder & me",
    )
    assert said_text(content, lambda mxid: mxid[1:].split(":")[0]) == "ask @bob & me"
    assert said_text({"msgtype": "m.text", "body": " plain "}, str) == "plain"


def test_an_edit_names_its_target_and_carries_the_new_content() -> None:
    new = {"msgtype": "m.text", "body": "fixed"}
    edit = {
        "body": "* fixed",
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": "$a"},
    }
    assert replacement(edit) == ("$a", new)
    assert replacement({"body": "hi"}) is None
    assert replacement({**edit, "m.new_content": None}) is None
    assert replacement({**edit, "m.relates_to": {"rel_type": "m.thread", "event_id": "$a"}}) is None

"""Action items become issues in GitHub, GitLab and Jira (local fakes of their documented endpoints),
and closing an issue there closes the item here, through each tracker's own signed webhook."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from fakes import (
    GITHUB_TOKEN,
    GITLAB_TOKEN,
    JIRA_EMAIL,
    JIRA_TOKEN,
    WEBHOOK_SECRET,
    FakeTracker,
    github_event,
    gitlab_event,
    hub_signature,
    jira_event,
)
from sqlalchemy import select

from chatops.storage.tables import deliveries
from chatops.testing import Harness, local_server
from chatops.web import build_web_app
from chatops_plugins.postmortem.tables import action_items

ROOM = "inc-1-checkout-api-errors"
ADD = "!action add Alert when the connection pool is above 80% for 5 minutes --owner @bob --due 2w"
TEXT = "Alert when the connection pool is above 80% for 5 minutes"
Event = tuple[bytes, dict[str, str]]


@dataclass(frozen=True)
class Spec:
    name: str
    ref: str  # of the first issue the fake creates
    url: str
    external_id: str
    token: str

    def config(self, base: str) -> dict[str, Any]:
        common = {"webhook_secret": WEBHOOK_SECRET, "labels": ["postmortem"]}
        if self.name == "github":
            return {
                "token": GITHUB_TOKEN,
                "repo": "acme/ops",
                "api_url": base,
                "users": {"bob": "octocat"},
                **common,
            }
        if self.name == "gitlab":
            return {
                "token": GITLAB_TOKEN,
                "url": base,
                "project": "acme/ops",
                "users": {"bob": "77"},
                **common,
            }
        return {
            "token": JIRA_TOKEN,
            "url": base,
            "project": "OPS",
            "email": JIRA_EMAIL,
            "users": {"bob": "5b10ac8d82e05b22cc7d4ef5"},
            **common,
        }

    def event(self, closed: bool) -> Event:
        if self.name == "github":
            return github_event(int(self.external_id), "closed" if closed else "reopened")
        if self.name == "gitlab":
            return gitlab_event(int(self.external_id), "close" if closed else "reopen")
        return jira_event(
            self.external_id, "done" if closed else "indeterminate", "Done" if closed else "In Progress"
        )

    def forged(self, closed: bool = True) -> Event:
        body, headers = self.event(closed)
        if self.name == "gitlab":
            return body, {**headers, "X-Gitlab-Token": "not-the-secret"}
        header = "X-Hub-Signature-256" if self.name == "github" else "X-Hub-Signature"
        return body, {**headers, header: hub_signature("not-the-secret", body)}

    def unsigned(self) -> Event:
        body, headers = self.event(True)
        drop = {"X-Hub-Signature-256", "X-Hub-Signature", "X-Gitlab-Token"}
        return body, {k: v for k, v in headers.items() if k not in drop}

    def signed(self, body: bytes) -> Event:
        headers = self.event(True)[1]
        if self.name == "gitlab":
            return body, headers
        header = "X-Hub-Signature-256" if self.name == "github" else "X-Hub-Signature"
        return body, {**headers, header: hub_signature(WEBHOOK_SECRET, body)}


SPECS = {
    "github": Spec("github", "github#42", "https://github.example/acme/ops/issues/42", "42", GITHUB_TOKEN),
    "gitlab": Spec("gitlab", "gitlab#7", "https://gitlab.example/acme/ops/-/issues/7", "7", GITLAB_TOKEN),
    "jira": Spec("jira", "OPS-7", "", "OPS-7", JIRA_TOKEN),
}


@dataclass
class Setup:
    chat: Harness
    fake: FakeTracker
    spec: Spec
    base: str

    @property
    def url(self) -> str:
        return self.spec.url or f"{self.base}/browse/{self.spec.external_id}"

    async def post(self, event: Event) -> tuple[int, dict[str, Any]]:
        body, headers = event
        async with TestClient(TestServer(build_web_app(self.chat.app))) as client:
            answer = await client.post(f"/trackers/{self.spec.name}/webhook", data=body, headers=headers)
            return answer.status, await answer.json()

    async def status(self, item: int = 1) -> str:
        async with self.chat.app.db.read() as conn:
            row = (await conn.execute(select(action_items).where(action_items.c.id == item))).one()
        return str(row.status)


Factory = Callable[..., Awaitable[Harness]]


async def incident(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")


@pytest.fixture(params=sorted(SPECS))
async def setup(
    request: pytest.FixtureRequest, chat_factory: Factory, tmp_path: Path
) -> AsyncIterator[Setup]:
    spec = SPECS[request.param]
    fake = FakeTracker(spec.name)
    async with local_server(fake.app()) as base:
        config = {
            "trackers": {spec.name: spec.config(base)},
            "postmortem": {"directory": str(tmp_path / "pm")},
        }
        chat = await chat_factory(config=config)
        await incident(chat)
        yield Setup(chat, fake, spec, base)


def check_create(setup: Setup, call: dict[str, Any]) -> None:
    """The fields each tracker documents, as this item fills them."""
    name, sent = setup.spec.name, call["json"]
    title = f"AI-1: {TEXT}"
    if name == "github":
        assert call["path"] == "/repos/acme/ops/issues"
        assert call["headers"]["Authorization"] == f"Bearer {GITHUB_TOKEN}"
        assert call["headers"]["X-GitHub-Api-Version"] == "2022-11-28"
        assert (
            sent["title"] == title and sent["assignees"] == ["octocat"] and sent["labels"] == ["postmortem"]
        )
        text = sent["body"]
        assert "Owner: @octocat (assigned)" in text
    elif name == "gitlab":
        assert call["path"] == "/api/v4/projects/acme%2Fops/issues"
        assert call["headers"]["PRIVATE-TOKEN"] == GITLAB_TOKEN
        assert sent["title"] == title and sent["assignee_ids"] == [77] and sent["due_date"] == "2026-03-16"
        assert sent["labels"] == "postmortem"
        text = sent["description"]
    else:
        assert call["path"] == "/rest/api/2/issue"
        pair = base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
        assert call["headers"]["Authorization"] == f"Basic {pair}"
        fields = sent["fields"]
        assert fields["project"] == {"key": "OPS"} and fields["summary"] == title
        assert fields["issuetype"] == {"name": "Task"} and fields["duedate"] == "2026-03-16"
        assert fields["assignee"] == {"accountId": "5b10ac8d82e05b22cc7d4ef5"}
        text = fields["description"]
    assert text.startswith('Action item AI-1 from the postmortem of INC-1 "Checkout API errors".\n\n' + TEXT)
    assert "Due: 2026-03-16" in text
    assert "Incident: INC-1 (the postmortem is not published yet)" in text
    assert "Closing this issue marks AI-1 done in chatops; reopening it reopens AI-1." in text


async def test_an_action_item_becomes_one_issue_and_closing_it_there_marks_it_done_here(setup: Setup) -> None:
    chat, spec = setup.chat, setup.spec
    sent = await chat.say(ADD, user="alice", room=ROOM)
    texts = [m.text for m in sent if m.room == ROOM]
    assert f"AI-1 added to INC-1: {TEXT} — @bob, due 2026-03-16." in texts
    assert f"AI-1 is {spec.ref}: {setup.url}" in texts
    assert len(setup.fake.calls) == 1
    check_create(setup, setup.fake.calls[0])

    listed = await chat.reply("!actions", user="alice")
    assert listed.splitlines()[1:] == [
        f"  AI-1 (INC-1) {TEXT} — @bob, due 2026-03-16",
        f"    {spec.ref}: {setup.url}",
    ]

    mark = len(chat.messages())
    status, answer = await setup.post(spec.event(closed=True))
    assert (status, answer) == (200, {"changed": True, "note": "AI-1 done"})
    assert await setup.status() == "done"
    by = {"github": "octocat", "gitlab": "gitte", "jira": "Jo Ops"}[spec.name]
    told = [m.text for m in chat.messages()[mark:] if m.room == ROOM]
    assert told == [f"AI-1 done — closed in {spec.ref} by {by}: {TEXT}"]
    assert await chat.reply("!actions", user="alice") == "Open action items: none."
    timeline = await chat.reply("!incident timeline", user="alice", room=ROOM)
    assert f"AI-1 done (closed in {spec.ref} by {by})" in timeline

    # the tracker repeats itself (a retried webhook): nothing more happens
    assert await setup.post(spec.event(closed=True)) == (
        200,
        {"changed": False, "note": "AI-1 is already done"},
    )

    status, answer = await setup.post(spec.event(closed=False))
    assert (status, answer) == (200, {"changed": True, "note": "AI-1 reopened"})
    assert await setup.status() == "open"
    assert (
        chat.messages(ROOM)[-1].text
        == f"AI-1 open again — reopened in {spec.ref} by {by}: {TEXT} (@bob, due 2026-03-16)"
    )
    assert len(setup.fake.calls) == 1  # still the one issue


async def test_an_unsigned_or_forged_webhook_changes_nothing(setup: Setup) -> None:
    await setup.chat.say(ADD, user="alice", room=ROOM)
    mark = len(setup.chat.messages())
    status, answer = await setup.post(setup.spec.unsigned())
    assert status == 401 and "missing" in answer["error"]
    status, answer = await setup.post(setup.spec.forged())
    assert status == 403 and WEBHOOK_SECRET not in answer["error"]
    body, headers = setup.spec.event(closed=True)
    tampered = (
        body.replace(b'"octocat"', b'"mallory"')
        .replace(b'"gitte"', b'"mallory"')
        .replace(b"Jo Ops", b"Mallory")
    )
    if setup.spec.name != "gitlab":  # a token does not cover the body; a signature does
        status, _ = await setup.post((tampered, headers))
        assert status == 403
    assert await setup.status() == "open"
    assert setup.chat.messages()[mark:] == []

    status, answer = await setup.post(setup.spec.signed(b"{not json"))
    assert status == 400 and "error" in answer
    assert await setup.status() == "open"


async def test_an_issue_no_item_is_linked_to_is_answered_and_ignored(setup: Setup) -> None:
    await setup.chat.say(ADD, user="alice", room=ROOM)
    spec = setup.spec
    other = Spec(spec.name, spec.ref, spec.url, "99" if spec.name != "jira" else "OPS-99", spec.token)
    status, answer = await setup.post(other.event(closed=True))
    assert status == 200 and answer["changed"] is False
    assert answer["note"] == f"no action item is linked to {spec.name} issue {other.external_id}"
    assert await setup.status() == "open"


async def test_a_failing_tracker_is_retried_and_the_room_is_told_without_the_token(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat, spec = setup.chat, setup.spec
    echo = f'{{"message": "upstream hiccup near {spec.token}"}}'  # a tracker that echoes what it got
    setup.fake.failures = [(502, echo), (503, "{}")]
    sent = await chat.say(ADD, user="alice", room=ROOM)
    warned = [m.text for m in sent if m.room == ROOM and m.text.startswith("⚠️")]
    what = {"github": "GitHub", "gitlab": "GitLab", "jira": "Jira"}[spec.name]
    assert warned == [
        f"⚠️ AI-1 could not be created in {spec.name}: {what} answered HTTP 502: upstream hiccup near ***. "
        "Retrying in 30 s."
    ]
    assert await chat.advance("29s") == []
    assert await chat.advance("1s") == []  # the second failure is not told again
    assert len(setup.fake.calls) == 2
    later = await chat.advance("60s")
    assert [m.text for m in later] == [f"AI-1 is {spec.ref}: {setup.url}"]
    assert len(setup.fake.calls) == 3 and setup.fake.created == 1
    everything = [m.text for m in chat.messages()] + [r.getMessage() for r in caplog.records]
    assert not [t for t in everything if spec.token in t]


async def test_a_tracker_that_keeps_refusing_is_given_up_and_the_room_is_told(setup: Setup) -> None:
    chat, spec = setup.chat, setup.spec
    setup.fake.failures = [(401, '{"message": "Bad credentials"}')] * 20
    await chat.say(ADD, user="alice", room=ROOM)
    await chat.advance("3h")
    assert len(setup.fake.calls) == 10
    warnings = [m.text for m in chat.messages(ROOM) if m.text.startswith("⚠️")]
    assert len(warnings) == 2
    assert warnings[1].startswith(f"⚠️ AI-1 was never created in {spec.name} (10 tries): ")
    assert "HTTP 401" in warnings[1] and "check the token" in warnings[1]
    assert warnings[1].endswith("It is still tracked here: !actions")
    assert "    " not in await chat.reply("!actions", user="alice")  # no link


async def test_an_item_added_after_publishing_links_to_the_published_postmortem(
    setup: Setup, tmp_path: Path
) -> None:
    chat = setup.chat
    say = lambda text: chat.say(text, user="alice", room=ROOM)  # noqa: E731
    await say("!incident mitigated rolled back")
    await say("!postmortem start")
    for section in ("summary", "impact", "root-cause", "contributing", "went-well"):
        await say(f"!postmortem set {section} the {section} of it, written down")
    await say(ADD)
    await say("!postmortem publish")
    await say("!action add Page the database team when replication lag exceeds 30 s --owner @carol --due 10d")
    assert len(setup.fake.calls) == 2
    second = setup.fake.calls[1]["json"]
    text = second.get("body") or second.get("description") or second["fields"]["description"]
    assert f"Postmortem: {tmp_path / 'pm' / 'INC-1-postmortem.md'}" in text
    assert "Owner: carol (in chat; not a known user here)" in text
    assert "assignees" not in second and "assignee_ids" not in second
    assert "assignee" not in second.get("fields", {})


async def test_no_tracker_means_action_items_are_as_before(chat: Harness) -> None:
    await incident(chat)
    sent = await chat.say(ADD, user="alice", room=ROOM)
    assert [m.text for m in sent] == [f"AI-1 added to INC-1: {TEXT} — @bob, due 2026-03-16."]
    assert (await chat.reply("!actions")).splitlines()[1:] == [
        f"  AI-1 (INC-1) {TEXT} — @bob, due 2026-03-16"
    ]
    async with chat.app.db.read() as conn:
        assert (await conn.execute(select(deliveries))).all() == []
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        answer = await client.post("/trackers/github/webhook", data=github_event(42, "closed")[0])
        assert answer.status == 404


async def test_an_owner_is_assigned_by_their_oncall_external_id(chat_factory: Factory) -> None:
    fake = FakeTracker("github")
    async with local_server(fake.app()) as base:
        tracker = {"token": GITHUB_TOKEN, "repo": "acme/ops", "api_url": base}
        people = {"bob": {"accounts": ["test:bob"], "external": ["pagerduty:PBOB", "github:bob-gh"]}}
        chat = await chat_factory(config={"trackers": {"github": tracker}, "oncall": {"people": people}})
        await incident(chat)
        await chat.say(ADD, user="alice", room=ROOM)
    sent = fake.calls[0]["json"]
    assert sent["assignees"] == ["bob-gh"]
    assert "Closing this issue" not in sent["body"]  # no webhook secret: closing there does not sync
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        body, headers = github_event(42, "closed")
        answer = await client.post("/trackers/github/webhook", data=body, headers=headers)
        assert answer.status == 403


async def test_a_github_issue_closed_as_not_planned_drops_the_item(chat_factory: Factory) -> None:
    fake = FakeTracker("github")
    async with local_server(fake.app()) as base:
        tracker = {
            "token": GITHUB_TOKEN,
            "repo": "acme/ops",
            "api_url": base,
            "webhook_secret": WEBHOOK_SECRET,
        }
        chat = await chat_factory(config={"trackers": {"github": tracker}})
        await incident(chat)
        await chat.say(ADD, user="alice", room=ROOM)
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        body, headers = github_event(42, "closed", state_reason="not_planned")
        answer = await client.post("/trackers/github/webhook", data=body, headers=headers)
        assert await answer.json() == {"changed": True, "note": "AI-1 dropped"}
        other_repo = body.replace(b"acme/ops", b"acme/web")
        headers = {**headers, "X-Hub-Signature-256": hub_signature(WEBHOOK_SECRET, other_repo)}
        answer = await client.post("/trackers/github/webhook", data=other_repo, headers=headers)
        assert await answer.json() == {"changed": False, "note": "ignored: acme/web is not acme/ops"}
    assert chat.messages(ROOM)[-1].text == f"AI-1 dropped — closed in github#42 by octocat: {TEXT}"
    timeline = await chat.reply("!incident timeline", user="alice", room=ROOM)
    assert "AI-1 dropped (closed in github#42 by octocat): closed as not planned" in timeline


async def test_jira_data_center_puts_the_secret_in_the_url(chat_factory: Factory) -> None:
    fake = FakeTracker("jira")
    async with local_server(fake.app()) as base:
        tracker = SPECS["jira"].config(base) | {
            "webhook_auth": "query",
            "assignee_field": "name",
            "users": {"bob": "bob.smith"},
        }
        chat = await chat_factory(config={"trackers": {"jira": tracker}})
        await incident(chat)
        await chat.say(ADD, user="alice", room=ROOM)
    assert fake.calls[0]["json"]["fields"]["assignee"] == {"name": "bob.smith"}
    body, _ = jira_event("OPS-7", "done")
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        signed_only = await client.post(
            "/trackers/jira/webhook", data=body, headers=jira_event("OPS-7", "done")[1]
        )
        assert signed_only.status == 401
        wrong = await client.post("/trackers/jira/webhook?secret=guess", data=body)
        assert wrong.status == 403
        right = await client.post(f"/trackers/jira/webhook?secret={WEBHOOK_SECRET}", data=body)
        assert await right.json() == {"changed": True, "note": "AI-1 done"}

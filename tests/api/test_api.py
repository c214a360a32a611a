"""The HTTP API, as an integration uses it: each answer, and what chat and the timeline show."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from api.apiclient import DEPLOY_TOKEN, PAGER_TOKEN, READER_TOKEN, Api
from chatops.config import ConfigError, load_config
from chatops.testing import Harness
from chatops_plugins.api.config import ApiConfig


def kinds_and_actors(timeline: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(event["kind"], event["actor"]) for event in timeline]


# --- declaring ---


async def test_declaring_opens_the_room_and_the_timeline_names_the_integration(
    chat: Harness, api: Api
) -> None:
    status, incident = await api.declare(
        title="Checkout API errors", severity=2, services=["checkout"], tags=[" deploy "]
    )
    assert status == 201
    assert incident | {"declared_at": "…"} == {
        "id": 1,
        "ref": "INC-1",
        "title": "Checkout API errors",
        "severity": 2,
        "severity_label": "Sev2",
        "status": "investigating",
        "private": False,
        "near_miss": False,
        "tags": ["deploy"],
        "services": ["checkout"],
        "declared_at": "…",
        "declared_by": "api:deploy-bot",
        "started_at": None,
        "mitigated_at": None,
        "resolved_at": None,
        "last_update_at": None,
        "last_update": None,
        "room": "inc-1-checkout-api-errors",
        "roles": {},  # an integration is never Incident Commander; a person takes the role
    }
    status_message = api.texts("inc-1-checkout-api-errors")[0]
    assert status_message.startswith('INC-1 · Sev2 · investigating · "Checkout API errors"')
    status, read = await api.call("GET", "/api/v1/incidents/INC-1")
    assert status == 200 and read["incident"] == incident
    assert kinds_and_actors(read["timeline"]) == [
        ("incident_declared", "api:deploy-bot"),
        ("room_created", "api:deploy-bot"),
        ("conference_opened", "chatops"),  # a Sev2's meeting link
    ]
    assert read["timeline"][0]["data"]["severity_confirmed"] is True
    timeline = await chat.reply("!incident timeline", room="inc-1-checkout-api-errors")
    assert "@deploy-bot" in timeline


async def test_declaring_follows_the_rules_of_the_chat_command(api: Api) -> None:
    status, defaulted = await api.declare(title="Search is slow")
    assert (status, defaulted["severity_label"]) == (201, "Sev3")  # the configured default
    _, read = await api.call("GET", f"/api/v1/incidents/{defaulted['id']}")
    assert read["timeline"][0]["data"]["severity_confirmed"] is False
    status, aliased = await api.declare(title="Payments down", severity="P0", near_miss=True)
    assert (status, aliased["severity"], aliased["near_miss"]) == (201, 1, True)
    for body, reason in [
        ({"title": "x" * 201}, "Titles are limited to 200 characters; put detail in a note."),
        ({"title": "   "}, "title: String should match pattern"),
        ({"title": "Broken", "severity": 9}, "9' is not a severity; use 1-4"),
        ({"title": "Broken", "severity": "sev9"}, "'sev9' is not a severity"),
        ({"title": "Broken", "started_at": "2099-01-01T00:00:00Z"}, "started_at is in the future"),
        (
            {"title": "Broken", "started_at": "2026-03-02T12:00:00"},
            "started_at: Input should have timezone info",
        ),
        ({"severity": 2}, "title: Field required"),
        ({"title": "Broken", "severityy": 2}, "severityy: unknown field"),
        ({"title": "Broken", "private": "yes"}, "private: Input should be a valid boolean"),
        ({"title": "Broken", "tags": [""]}, "tags.0: String should have at least 1 character"),
        ({"title": "Broken", "services": ["x" * 65]}, "services.0: String should have at most 64 characters"),
        (
            {"title": "Broken", "tags": ["\x1f"]},
            "tags and services: use 1 to 64 characters",
        ),  # found by fuzzing
    ]:
        status, answer = await api.declare(**body)
        assert status == 400 and reason in answer["error"], (body, answer)
    for raw, reason in [(b"not json", "the body is not JSON"), (b"[]", "body: Input should be an object")]:
        status, answer = await api.call("POST", "/api/v1/incidents", data=raw)
        assert status == 400 and reason in answer["error"], answer
    _, listed = await api.call("GET", "/api/v1/incidents")
    assert [i["ref"] for i in listed["incidents"]] == ["INC-2", "INC-1"]  # nothing refused was stored


async def test_a_body_over_the_limit_is_refused_unread(api: Api) -> None:
    status, answer = await api.declare(title="x" * 5000)
    assert (status, answer) == (413, {"error": "the body is larger than 4 KiB (api.max_body_kb)"})


# --- updates ---


async def test_an_update_is_shown_in_the_room_and_recorded_as_the_integration(
    chat: Harness, api: Api
) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    room = "inc-1-checkout-api-errors"
    text = "checkout failing for ~30% of users — rolled back deploy 1234 — next update 15:30"
    status, incident = await api.call("POST", "/api/v1/incidents/INC-1/updates", json={"text": text})
    assert status == 201
    assert (incident["last_update"], incident["last_update_at"]) == (text, "2026-03-02T14:00:00Z")
    assert api.texts(room)[-1] == f"Update from api:deploy-bot: {text}"
    assert any("Last update 15:00 CET" in edit for edit in api.edits())  # the live status message
    _, read = await api.call("GET", "/api/v1/incidents/1")
    assert read["timeline"][-1] | {"at": "…"} == {
        "at": "…",
        "actor": "api:deploy-bot",
        "kind": "update_posted",
        "text": text,
        "data": {},
    }
    assert kinds_and_actors(read["timeline"])[0] == ("incident_declared", "test:alice")


async def test_updates_that_cannot_be_posted_say_why(chat: Harness, api: Api) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await chat.say('!incident resolve --force "false alarm" --id 1', user="alice")
    for path, body, expected in [
        ("/api/v1/incidents/1/updates", {"text": "back"}, (409, "INC-1 is resolved; reopen it first")),
        ("/api/v1/incidents/7/updates", {"text": "hello"}, (404, "no incident INC-7")),
        (
            "/api/v1/incidents/seven/updates",
            {"text": "hello"},
            (404, "no incident 'seven' (use 42 or INC-42)"),
        ),
        ("/api/v1/incidents/1/updates", {"text": ""}, (400, "text: String should have at least 1 character")),
        ("/api/v1/incidents/1/updates", {"words": "x"}, (400, "text: Field required; words: unknown field")),
    ]:
        status, answer = await api.call("POST", path, json=body)
        assert (status, answer["error"][: len(expected[1])]) == expected


# --- reading ---


async def test_listing_filters_open_or_all_newest_first_and_limits(chat: Harness, api: Api) -> None:
    for title in ("First", "Second", "Third"):
        await api.declare(title=title)
    await chat.say('!incident resolve --force "dup" --id 2', user="alice")

    async def refs(query: str) -> list[str]:
        status, answer = await api.call("GET", f"/api/v1/incidents{query}", READER_TOKEN)
        assert status == 200, answer
        return [i["ref"] for i in answer["incidents"]]

    assert await refs("") == ["INC-3", "INC-1"]
    assert await refs("?status=all") == ["INC-3", "INC-2", "INC-1"]
    assert await refs("?status=all&limit=2") == ["INC-3", "INC-2"]
    for query, reason in [
        ("?status=closed", "status: use open or all"),
        ("?limit=0", "limit: use a whole number from 1 to 500"),
        ("?limit=501", "limit: use a whole number from 1 to 500"),
        ("?limit=two", "limit: use a whole number from 1 to 500"),
    ]:
        assert await api.call("GET", f"/api/v1/incidents{query}") == (400, {"error": reason})


async def test_private_incidents_are_seen_only_by_integrations_that_took_part(
    chat: Harness, api: Api
) -> None:
    await chat.say('!incident declare "Suspected breach" --private', user="alice")
    assert (await api.declare(title="Leaked key rotated", private=True))[0] == 201
    assert await api.call("GET", "/api/v1/incidents/1") == (404, {"error": "no incident INC-1"})
    _, listed = await api.call("GET", "/api/v1/incidents")
    assert [i["ref"] for i in listed["incidents"]] == ["INC-2"]  # its own, not alice's
    assert (await api.call("GET", "/api/v1/incidents/2", READER_TOKEN))[0] == 404
    assert (await api.call("GET", "/api/v1/incidents", READER_TOKEN))[1] == {"incidents": []}
    assert (await api.call("POST", "/api/v1/incidents/1/updates", json={"text": "x"}))[0] == 404


# --- pages ---


async def test_acknowledging_a_page_stops_escalation_and_every_message_says_who(
    chat: Harness, api: Api
) -> None:
    sent = await chat.say('!page @carol "db-3 disk full" --sev 2', user="alice")
    assert any("You are paged: P-1" in m.text for m in sent)
    status, page = await api.call("POST", "/api/v1/pages/P-1/ack", PAGER_TOKEN)
    assert (status, page) == (
        200,
        {
            "id": 1,
            "ref": "P-1",
            "state": "acknowledged",
            "message": "db-3 disk full",
            "incident": None,
            "acked_by": "api:pager",
            "acked_at": "2026-03-02T14:00:00Z",
        },
    )
    assert any(e.startswith("✅ P-1 acknowledged by @api:pager at 15:00 CET") for e in api.edits())
    later = await chat.advance("10m")
    assert not [m for m in later if "You are paged" in m.text]  # escalation stopped
    again = await api.call("POST", "/api/v1/pages/1/ack", PAGER_TOKEN)
    assert again == (409, {"error": "P-1 was already acknowledged by @api:pager at 15:00 CET."})
    assert (await chat.reply("!ack P-1", user="carol")).startswith(
        "P-1 was already acknowledged by @api:pager"
    )


async def test_acknowledging_what_does_not_exist_is_404(api: Api) -> None:
    assert await api.call("POST", "/api/v1/pages/P-99/ack") == (404, {"error": "no page P-99"})
    assert await api.call("POST", "/api/v1/pages/latest/ack") == (
        404,
        {"error": "no page 'latest' (use P-17 or 17)"},
    )


async def test_a_page_for_an_incident_is_acknowledged_in_its_timeline(chat: Harness, api: Api) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await chat.say('!page @carol "checkout down"', user="alice", room="inc-1-checkout-api-errors")
    status, page = await api.call("POST", "/api/v1/pages/P-1/ack")
    assert (status, page["incident"]) == (200, "INC-1")
    _, read = await api.call("GET", "/api/v1/incidents/1")
    acked = [e for e in read["timeline"] if e["kind"] == "page_acknowledged"]
    assert [(e["actor"], e["text"]) for e in acked] == [
        ("api:deploy-bot", "P-1 acknowledged by @api:deploy-bot")
    ]


# --- authentication and scopes ---

ENDPOINTS = [
    ("GET", "/api/v1/incidents", None, "incidents.read"),
    ("GET", "/api/v1/incidents/1", None, "incidents.read"),
    ("POST", "/api/v1/incidents", {"title": "Scoped"}, "incidents.declare"),
    ("POST", "/api/v1/incidents/1/updates", {"text": "scoped"}, "incidents.update"),
    ("POST", "/api/v1/pages/1/ack", None, "pages.ack"),
]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789abcdef"},
        {"Authorization": f"Basic {DEPLOY_TOKEN}"},
        {"Authorization": DEPLOY_TOKEN},
        {"Authorization": f"Bearer  {DEPLOY_TOKEN}"},
        {"Authorization": f"Bearer {DEPLOY_TOKEN[:-1]}é"},
    ],
    ids=["none", "wrong", "basic", "no-scheme", "two-spaces", "non-ascii"],
)
async def test_a_missing_or_wrong_token_is_401_on_every_endpoint(api: Api, headers: dict[str, str]) -> None:
    for method, path, body, _action in ENDPOINTS:
        response = await api.client.request(method, path, headers=headers, json=body)
        assert response.status == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="chatops"'
        assert (await response.json())["error"].startswith("missing or wrong bearer token")
    assert not api.chat.transport.sent  # nothing happened


async def test_the_scheme_is_case_insensitive_the_token_is_not(api: Api) -> None:
    headers = {"Authorization": f"bearer {DEPLOY_TOKEN}"}
    assert (await api.call("GET", "/api/v1/incidents", None, headers=headers))[0] == 200
    headers = {"Authorization": f"Bearer {DEPLOY_TOKEN.upper()}"}
    assert (await api.call("GET", "/api/v1/incidents", None, headers=headers))[0] == 401


async def test_each_integration_may_do_only_the_actions_it_was_given(chat: Harness, api: Api) -> None:
    await chat.say('!incident declare "Checkout API errors"', user="alice")
    await chat.say('!page @carol "checkout down"', user="alice")
    given = {
        "deploy-bot": (
            DEPLOY_TOKEN,
            {"incidents.read", "incidents.declare", "incidents.update", "pages.ack"},
        ),
        "dashboard": (READER_TOKEN, {"incidents.read"}),
        "pager": (PAGER_TOKEN, {"pages.ack"}),
    }
    for name, (token, actions) in given.items():
        for method, path, body, action in ENDPOINTS:
            status, answer = await api.call(method, path, token, json=body)
            if action in actions:
                assert status in (200, 201, 409), (name, path, answer)  # 409: acknowledged earlier
            else:
                assert (status, answer) == (
                    403,
                    {
                        "error": f"integration {name!r} may not {action}: add it to api.integrations.{name}.actions"
                    },
                ), (name, path)


async def test_tokens_never_reach_the_log(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await api.declare(title="Logged without secrets")
    await api.call("GET", "/api/v1/incidents", "Bearer-guess-0123456789abcdefXYZ")
    await api.call("POST", "/api/v1/pages/1/ack", READER_TOKEN)
    assert "api: api:deploy-bot declared INC-1" in caplog.text
    assert "no valid token" in caplog.text and "it lacks pages.ack" in caplog.text
    for secret in (DEPLOY_TOKEN, READER_TOKEN, PAGER_TOKEN, "Bearer-guess-0123456789abcdefXYZ"):
        assert secret not in caplog.text


# --- the database ---


async def test_an_unavailable_database_is_503_and_the_api_recovers(chat: Harness, api: Api) -> None:
    await api.declare(title="Before the outage")
    path = chat.app.db.sqlite_path()
    assert path is not None
    await chat.app.db.engine.dispose()
    away = path.with_name(path.name + ".away")
    path.rename(away)
    path.mkdir()  # a directory where the database file was: every connection fails
    try:
        for method, path_, body, _ in ENDPOINTS[:4]:
            status, answer = await api.call(method, path_, json=body)
            assert (status, answer) == (503, {"error": "the database is unavailable; retry later"}), path_
    finally:
        path.rmdir()
        away.rename(path)
    status, listed = await api.call("GET", "/api/v1/incidents")
    assert (status, [i["title"] for i in listed["incidents"]]) == (200, ["Before the outage"])


# --- configuration ---


def test_integrations_are_configured_with_strong_distinct_tokens_from_the_environment() -> None:
    config = load_config(
        None,
        environ={"CHATOPS_API__INTEGRATIONS__DEPLOY_BOT__TOKEN": DEPLOY_TOKEN},
        overrides={"api": {"integrations": {"deploy_bot": {"actions": ["incidents.read"]}}}},
    )
    config.bind_sections({"api": ApiConfig})
    assert config.section("api").integrations["deploy_bot"].token.get_secret_value() == DEPLOY_TOKEN
    for integrations, problem in [
        ({"ci": {"token": "short", "actions": ["incidents.read"]}}, "at least 16 characters"),
        ({"ci": {"token": DEPLOY_TOKEN, "actions": []}}, "api.integrations.ci.actions"),
        ({"ci": {"token": DEPLOY_TOKEN, "actions": ["incidents.delete"]}}, "api.integrations.ci.actions.0"),
        ({"CI": {"token": DEPLOY_TOKEN, "actions": ["pages.ack"]}}, "use lowercase letters"),
        (
            {
                "a": {"token": DEPLOY_TOKEN, "actions": ["pages.ack"]},
                "b": {"token": DEPLOY_TOKEN, "actions": ["pages.ack"]},
            },
            "integrations a and b share a token",
        ),
    ]:
        config = load_config(None, environ={}, overrides={"api": {"integrations": integrations}})
        with pytest.raises(ConfigError, match=problem) as refused:
            config.bind_sections({"api": ApiConfig})
        assert DEPLOY_TOKEN not in str(refused.value)


async def test_the_openapi_document_is_served_without_a_token_and_follows_the_config(api: Api) -> None:
    response = await api.client.get("/api/v1/openapi.json")
    document = await response.json()
    assert response.status == 200 and document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}
    declare = document["components"]["schemas"]["DeclareRequest"]["properties"]
    assert declare["title"]["maxLength"] == 200
    assert declare["severity"]["anyOf"][:2] == [
        {"type": "integer", "enum": [1, 2, 3, 4]},
        {"type": "string", "enum": ["Sev1", "P0", "Sev2", "P1", "Sev3", "P2", "Sev4", "P3"]},
    ]
    update = document["paths"]["/api/v1/incidents/{incident}/updates"]["post"]
    assert sorted(update["responses"]) == ["201", "400", "401", "403", "404", "409", "413", "503"]

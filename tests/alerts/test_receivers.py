"""The receivers: each source authenticates, bad payloads are refused with the reason, nothing is lost."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import ALERTING, Poster, payload, signed
from pydantic import ValidationError
from sqlalchemy import func, select

from chatops.testing import Harness
from chatops_plugins.alerts import actions
from chatops_plugins.alerts.config import AlertsConfig
from chatops_plugins.alerts.formats import PayloadError, parse
from chatops_plugins.alerts.tables import groups, notifications


async def stored(chat: Harness) -> tuple[int, int]:
    async with chat.app.db.read() as conn:
        return (
            await conn.scalar(select(func.count()).select_from(notifications)),
            await conn.scalar(select(func.count()).select_from(groups)),
        )


def grafana_headers(body: bytes, secret: str = "grafana-secret", at: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if at is None else at)
    digest = hmac.new(secret.encode(), f"{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Grafana-Alerting-Signature": digest, "X-Grafana-Alerting-Timestamp": stamp}


async def test_each_format_is_read_into_a_group(chat: Harness, post: Poster) -> None:
    assert (await post.prom(payload("alertmanager_firing")))[1]["groups"] == ["A-1"]
    body = json.dumps(payload("grafana_firing")).encode()
    assert await post.raw("grafana", body, grafana_headers(body)) == (
        200,
        {"stored": True, "groups": ["A-2"]},
    )
    body = json.dumps(payload("generic_firing")).encode()
    assert (await post.raw("hooks", body, signed("hook-secret", body)))[1]["groups"] == ["A-3"]
    assert await stored(chat) == (3, 3)
    texts = post.messages("ops")
    assert texts[1].startswith("🔥 A-2 · Sev2 · checkout · HighLatency: p99 latency above 2 s")
    assert texts[2].startswith("🔥 A-3 · Sev2 · checkout · QueueBacklog: 12,000 messages waiting")


async def test_unauthenticated_requests_are_refused_and_not_stored(chat: Harness, post: Poster) -> None:
    body = json.dumps(payload("alertmanager_firing")).encode()
    generic = json.dumps(payload("generic_firing")).encode()
    gbody = json.dumps(payload("grafana_firing")).encode()
    stale = int(time.time()) - 600
    for source, data, headers, reason in [
        ("prom", body, {}, "missing or wrong bearer token"),
        ("prom", body, {"Authorization": "Bearer guess"}, "missing or wrong bearer token"),
        ("hooks", generic, {}, "missing X-Chatops-Signature"),
        ("hooks", generic, signed("wrong-secret", generic), "wrong signature"),
        ("hooks", generic, {**signed("hook-secret", generic), "X-Chatops-Timestamp": "soon"}, "malformed"),
        ("hooks", generic, {**signed("hook-secret", generic), "X-Chatops-Timestamp": "²"}, "malformed"),
        ("hooks", generic, {**signed("hook-secret", generic), "X-Chatops-Timestamp": "9" * 400}, "malformed"),
        ("prom", body, {"Authorization": "Bearer prom-tökén"}, "missing or wrong bearer token"),
        ("hooks", generic, signed("hook-secret", generic, stale), "outside the 5m replay window"),
        ("hooks", generic + b" ", signed("hook-secret", generic), "wrong signature"),  # body changed
        ("grafana", gbody, grafana_headers(gbody, at=stale), "outside the 5m replay window"),
        ("grafana", gbody, grafana_headers(gbody, secret="x"), "wrong signature"),
    ]:
        status, answer = await post.raw(source, data, headers)
        assert status == 401 and reason in answer["error"], (source, answer)
    assert await stored(chat) == (0, 0)
    assert not post.messages("ops")


async def test_malformed_oversized_and_unknown_are_refused_with_the_reason(
    chat: Harness, post: Poster
) -> None:
    token = {"Authorization": "Bearer prom-token"}
    bad_status = payload("alertmanager_firing")
    bad_status["alerts"][0]["status"] = "burning"
    no_alerts = payload("alertmanager_firing", alerts=[])
    for data, answer in [
        (b"{not json", "the body is not JSON"),
        (b"[1, 2]", "not a valid alertmanager payload: the payload is not a JSON object"),
        (json.dumps(bad_status).encode(), "alerts.0.status: Input should be 'firing' or 'resolved'"),
        (json.dumps(no_alerts).encode(), "alerts: List should have at least 1 item"),
        (
            json.dumps(payload("grafana_firing")).encode(),
            "version '1': alertmanager webhooks send version '4'",
        ),
    ]:
        status, found = await post.raw("prom", data, token)
        assert status == 400 and answer in found["error"], found
    big = json.dumps(payload("generic_firing", summary="x" * 5000)).encode()
    status, found = await post.raw("hooks", big, signed("hook-secret", big))
    assert status == 413 and "larger than 4 KiB" in found["error"]
    status, found = await post.raw("nowhere", b"{}", token)
    assert status == 404 and "no alert source 'nowhere'" in found["error"]
    assert await stored(chat) == (0, 0)


async def test_a_replayed_notification_is_stored_but_pages_no_one_again(chat: Harness, post: Poster) -> None:
    body = json.dumps(payload("generic_firing")).encode()
    headers = signed("hook-secret", body)
    for _ in range(3):  # the very same signed request, three times within its window
        assert (await post.raw("hooks", body, headers))[1]["groups"] == ["A-1"]
    assert await stored(chat) == (3, 1)
    assert len(post.messages("@bob")) == 1 and len(post.messages("ops")) == 1


def test_a_source_without_credentials_is_refused_at_start() -> None:
    config = {**ALERTING["alerts"], "sources": {"open": {"format": "generic"}}}
    with pytest.raises(ValidationError, match="a source needs a token or an hmac_secret"):
        AlertsConfig.model_validate(config)
    with pytest.raises(ValidationError, match="not a matcher"):
        AlertsConfig.model_validate({"routes": [{"match": ["severity"]}]})
    with pytest.raises(ValidationError, match="no service 'nope'"):
        AlertsConfig.model_validate({"routes": [{"service": "nope"}]})


def test_timestamps_with_nanoseconds_and_alertmanagers_zero_time_are_read() -> None:
    body: dict[str, Any] = payload("alertmanager_firing")
    body["alerts"][0]["startsAt"] = "2026-03-02T13:55:00.123456789Z"
    (alert,) = parse("alertmanager", body).alerts
    assert alert.starts_at == datetime(2026, 3, 2, 13, 55, 0, 123456, tzinfo=UTC)
    assert alert.ends_at is None  # "0001-01-01T00:00:00Z": not ended
    with pytest.raises(PayloadError, match="the payload is not a JSON object"):
        parse("generic", [])


async def test_a_notification_that_cannot_be_stored_is_refused_for_a_retry(
    chat: Harness, post: Poster, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(tx: Any, received: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(actions, "store_batch", broken)
    status, answer = await post.prom(payload("alertmanager_firing"))
    assert (status, answer) == (503, {"error": "the notification could not be stored; send it again"})
    monkeypatch.undo()
    assert (await post.prom(payload("alertmanager_firing")))[0] == 200  # Alertmanager's retry lands
    assert await stored(chat) == (1, 1)

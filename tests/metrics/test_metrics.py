"""Incident metrics: the definitions on plain values, a scripted incident, and SQL agreeing with Python."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from chatops.app import App
from chatops.config import load_config
from chatops.storage.db import Tx
from chatops.testing import Harness
from chatops.web import build_web_app
from chatops_plugins.metrics import sql
from chatops_plugins.metrics.domain import Milestones, bucket, report, spans
from chatops_plugins.metrics.tables import labels, milestones

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_each_measure_is_the_span_between_two_milestones() -> None:
    m = Milestones(1, 2, False, detected_at=at(0), started_at=at(-10), paged_at=at(1), acked_at=at(4),
                   mitigated_at=at(20), resolved_at=at(60))  # fmt: skip
    assert spans(m) == {"mttd": 600.0, "mtta": 180.0, "mttm": 1200.0, "mttr": 3600.0}
    unknown = Milestones(2, 3, False, detected_at=at(0))
    assert spans(unknown) == {"mttd": None, "mtta": None, "mttm": None, "mttr": None}


def test_near_misses_are_counted_apart_and_periods_are_named() -> None:
    items = [
        Milestones(1, 2, False, detected_at=at(0), mitigated_at=at(30)),
        Milestones(2, 1, False, detected_at=at(60 * 24 * 40), mitigated_at=at(60 * 24 * 40 + 10)),
        Milestones(3, 2, True, detected_at=at(5), mitigated_at=at(6)),
    ]
    found = report(items)
    assert (found.incidents, found.near_misses, found.by_severity) == (2, 1, {2: 1, 1: 1})
    assert found.figures["mttm"].mean_s == (30 * 60 + 10 * 60) / 2
    assert found.frequency["month"] == {"2026-03": {2: 1}, "2026-04": {1: 1}}
    assert (bucket(at(0), "week"), bucket(at(0), "quarter")) == ("2026-W10", "2026-Q1")


def test_incidents_sharing_a_label_within_the_window_recur() -> None:
    db = ("tag", "database")
    items = [
        Milestones(1, 2, False, detected_at=at(0), labels=(db,)),
        Milestones(2, 2, False, detected_at=at(60 * 24 * 10), labels=(db, ("service", "checkout"))),
        Milestones(3, 2, False, detected_at=at(60 * 24 * 100), labels=(db,)),
    ]
    (recurrence,) = report(items, recur_within_days=30).recurrences
    assert (recurrence.kind, recurrence.value, recurrence.incidents) == ("tag", "database", (1, 2))


ONCALL: dict[str, Any] = {
    "oncall": {
        "people": {"alice": {"accounts": ["test:alice"]}, "bob": {"accounts": ["test:bob"]}},
        "policies": {"default": {"steps": [{"targets": ["user:bob"], "after": "5m"}]}},
        "severity_policies": {2: "default"},
    }
}
ROOM = "inc-1-checkout-api-errors"


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return ONCALL


async def test_a_scripted_incident_gives_the_hand_computed_figures(chat: Harness) -> None:
    # 14:00 declared (impact from 13:50), bob paged at once; acked 14:03; mitigated 14:20; resolved 15:00
    await chat.say('!incident declare "Checkout API errors" --sev 2 --started 13:50', user="alice")
    await chat.advance("3m")
    assert await chat.reply("!ack", user="bob") == "Acknowledged P-1: escalation stopped."
    await chat.say("!incident tag database", user="alice", room=ROOM)
    await chat.advance("17m")
    await chat.say("!incident mitigated rolled back", user="alice", room=ROOM)
    await chat.advance("40m")
    await chat.say("!incident resolve", user="alice", room=ROOM)
    await chat.say('!incident declare "Disk nearly full, caught early" --sev 3 --near-miss', user="alice")
    await chat.advance("1d")
    await chat.say('!incident declare "Database failover slow" --sev 2', user="alice")
    await chat.say("!incident tag database", user="alice", room="inc-3-database-failover-slow")

    assert (await chat.reply("!metrics")).splitlines() == [
        "All incidents: 2 (Sev2: 2); near-misses: 1",
        "MTTD (started → detected): 10 min over 1 incident(s)",
        "MTTA (paged → acknowledged): 3 min over 1 incident(s)",
        "MTTM (detected → mitigated): 20 min over 1 incident(s)",
        "MTTR (detected → resolved): 1h over 1 incident(s)",
        "By month: 2026-03 2",
        "Recurring tag 'database': INC-1, INC-3",
    ]
    assert (await chat.reply("!metrics --since 2026-03-03")).startswith(
        "Incidents since 2026-03-03: 1 (Sev2: 1)"
    )
    assert "not a date: 'yesterday'" in await chat.reply("!metrics --since yesterday")
    assert "--since is in the future" in await chat.reply("!metrics --since 2027-01-01")


async def _synthetic(tx: Tx, count: int, seed: int) -> None:
    rng = random.Random(seed)
    rows, tags = [], []
    for incident_id in range(1, count + 1):
        detected = T0 + timedelta(minutes=rng.randint(0, 60 * 24 * 200))
        d = int(detected.timestamp())

        def maybe(low: int, high: int, base: int = d) -> int | None:
            return base + rng.randint(low, high) if rng.random() < 0.8 else None

        paged = maybe(0, 300)
        rows.append(
            {
                "incident_id": incident_id,
                "severity": rng.randint(1, 4),
                "near_miss": rng.random() < 0.1,
                "detected_s": d,
                "started_s": maybe(-3600, 0),
                "paged_s": paged,
                "acked_s": paged + rng.randint(0, 900) if paged is not None and rng.random() < 0.9 else None,
                "mitigated_s": maybe(60, 7200),
                "resolved_s": maybe(3600, 86400),
                "week": bucket(detected, "week"),
                "month": bucket(detected, "month"),
                "quarter": bucket(detected, "quarter"),
            }
        )
        for tag in rng.sample(["database", "dns", "deploy", "cache", "network"], rng.randint(0, 2)):
            tags.append({"incident_id": incident_id, "kind": "tag", "value": tag, "detected_s": d})
    await tx.execute(milestones.insert(), rows)
    if tags:
        await tx.execute(labels.insert(), tags)


async def test_sql_and_the_definitions_agree(any_db_url: str) -> None:
    config = load_config(None, db_url=any_db_url, environ={}, overrides={"database": {"auto_migrate": True}})
    app = App(config, transports={})
    await app.start(start_transports=False)
    try:
        await app.db.write(lambda tx: _synthetic(tx, 400, seed=7))
        since = T0 + timedelta(days=50)
        for window in (None, since):
            async with app.db.read() as conn:
                in_sql = await sql.report(conn, window, recur_within_days=14)
                in_python = report(await sql.milestones_of(conn, window), recur_within_days=14)
            assert (in_sql.incidents, in_sql.near_misses, in_sql.by_severity) == (
                in_python.incidents,
                in_python.near_misses,
                in_python.by_severity,
            )
            for name, figure in in_python.figures.items():
                assert in_sql.figures[name].count == figure.count
                assert in_sql.figures[name].mean_s == pytest.approx(figure.mean_s, rel=1e-9)
            assert in_sql.frequency == in_python.frequency
            assert in_sql.recurrences == in_python.recurrences
    finally:
        await app.stop()


async def test_the_prometheus_endpoint_needs_its_token(chat_factory: Any) -> None:
    chat: Harness = await chat_factory(config={**ONCALL, "metrics": {"token": "scrape-secret"}})
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        assert (await client.get("/metrics")).status == 401
        response = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
        body = await response.text()
    assert response.status == 200
    assert 'chatops_incidents{severity="2"} 1.0' in body
    assert "chatops_incidents_open 1.0" in body


async def test_the_report_draws_its_charts(chat: Harness, tmp_path: Path) -> None:
    from chatops_plugins.metrics import incidents_report

    await chat.say('!incident declare "Checkout API errors" --sev 2 --started 13:50', user="alice")
    await chat.advance("20m")
    await chat.say("!incident mitigated rolled back", user="alice", room=ROOM)
    markdown = await incidents_report(chat.app, None, "md", tmp_path / "report")
    assert "| MTTD (started → detected) | 10 min | 1 |" in markdown and "![mttx.svg](mttx.svg)" in markdown
    drawn = tmp_path / "report"
    assert {p.name for p in drawn.iterdir()} == {"frequency.png", "frequency.svg", "mttx.png", "mttx.svg"}
    assert (drawn / "mttx.png").read_bytes().startswith(b"\x89PNG")

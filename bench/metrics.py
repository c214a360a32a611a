"""chatops-metrics: the incident report over 100,000 incidents, computed in SQL.

100,000 synthetic incidents (milestones and labels, spread over three
years) are stored; the report (counts by severity, MTTD/MTTA/MTTM/MTTR,
frequency per week, month and quarter, recurrences) is computed the way
`!metrics` and `chatops report incidents` do it: SQL queries plus
assembling the result, in process.  Interpreter start-up and chart drawing
are excluded; charts are timed apart.

Baselines in the same run: `bare` is one `SELECT count(*)` over the table
(the floor of a round trip), `python` loads every row and runs the pure
definitions (what aggregating in Python would cost).

Target: the report in <= 1 s on SQLite and on PostgreSQL.

Run from the repository root:
    .venv/bin/python bench/metrics.py [--n 100000] [--pg-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchkit import scratch_pg_database, start_app
from sqlalchemy import func, select

from chatops.storage.db import Tx
from chatops_plugins.metrics import charts, sql
from chatops_plugins.metrics.domain import bucket, report
from chatops_plugins.metrics.tables import labels, milestones

START = datetime(2024, 1, 1, tzinfo=UTC)
CHUNK = 5_000


def synthetic(n: int, seed: int = 1) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    rows, tags = [], []
    for incident_id in range(1, n + 1):
        detected = START + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 3))
        d = int(detected.timestamp())
        paged = d + rng.randint(0, 300) if rng.random() < 0.9 else None
        rows.append(
            {
                "incident_id": incident_id,
                "severity": rng.choice((1, 2, 2, 3, 3, 3, 4)),
                "near_miss": rng.random() < 0.08,
                "detected_s": d,
                "started_s": d - rng.randint(0, 3600) if rng.random() < 0.6 else None,
                "paged_s": paged,
                "acked_s": paged + rng.randint(10, 1200)
                if paged is not None and rng.random() < 0.95
                else None,
                "mitigated_s": d + rng.randint(120, 14_400) if rng.random() < 0.97 else None,
                "resolved_s": d + rng.randint(1_800, 172_800) if rng.random() < 0.95 else None,
                "week": bucket(detected, "week"),
                "month": bucket(detected, "month"),
                "quarter": bucket(detected, "quarter"),
            }
        )
        if rng.random() < 0.3:
            tags.append(
                {
                    "incident_id": incident_id,
                    "kind": "service",
                    "value": f"svc-{rng.randint(1, 400)}",
                    "detected_s": d,
                }
            )
    return rows, tags


async def timed(work: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = await work()
    return (time.perf_counter() - began) * 1000, result


async def measure(db_url: str, n: int, out: Path) -> dict[str, Any]:
    app, _, _ = await start_app(db_url, overrides={"database": {"auto_migrate": True}})
    try:
        rows, tags = synthetic(n)

        async def store(tx: Tx, part: list[dict[str, Any]], table: Any) -> None:
            await tx.execute(table.insert(), part)

        for table, data in ((milestones, rows), (labels, tags)):
            for start in range(0, len(data), CHUNK):
                part = data[start : start + CHUNK]
                await app.db.write(lambda tx, part=part, table=table: store(tx, part, table))

        async def in_sql() -> Any:
            async with app.db.read() as conn:
                return await sql.report(conn, None, recur_within_days=30)

        async def bare() -> Any:
            async with app.db.read() as conn:
                return await conn.scalar(select(func.count()).select_from(milestones))

        async def in_python() -> Any:
            async with app.db.read() as conn:
                items = await sql.milestones_of(conn)
            return report(items, recur_within_days=30)

        await in_sql()  # warm: compiled statements cached, pages in memory
        sql_ms = sorted([(await timed(in_sql))[0] for _ in range(5)])
        bare_ms = sorted([(await timed(bare))[0] for _ in range(5)])
        python_ms, python_report = await timed(in_python)
        _, sql_report = await timed(in_sql)
        if (sql_report.incidents, sql_report.by_severity) != (
            python_report.incidents,
            python_report.by_severity,
        ):
            raise RuntimeError("SQL and Python disagree")

        async def means() -> Any:
            async with app.db.read() as conn:
                return await sql.monthly_means(conn)

        means_ms, monthly = await timed(means)
        began = time.perf_counter()
        await asyncio.to_thread(charts.draw, sql_report, monthly, out)
        charts_ms = (time.perf_counter() - began) * 1000
    finally:
        await app.stop()
    return {
        "report_median_ms": round(sql_ms[2], 1),
        "report_max_ms": round(sql_ms[-1], 1),
        "bare_count_ms": round(bare_ms[2], 1),
        "python_load_and_aggregate_ms": round(python_ms, 1),
        "chart_queries_ms": round(means_ms, 1),
        "charts_drawn_ms": round(charts_ms, 1),
    }


async def main(n: int, pg_url: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {"n": n}
    with tempfile.TemporaryDirectory() as tmp:
        result |= {
            f"sqlite_{k}": v
            for k, v in (await measure(f"sqlite:///{Path(tmp) / 'm.db'}", n, Path(tmp))).items()
        }
        if pg_url:
            async with scratch_pg_database(pg_url) as url:
                result |= {f"pg_{k}": v for k, v in (await measure(url, n, Path(tmp))).items()}
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--pg-url", default=os.environ.get("CHATOPS_BENCH_PG_URL"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    figures = asyncio.run(main(args.n, args.pg_url))
    for backend in ("sqlite", "pg"):
        if f"{backend}_report_median_ms" in figures:
            f = {k.removeprefix(f"{backend}_"): v for k, v in figures.items() if k.startswith(backend)}
            print(
                f"{backend}: report {f['report_median_ms']} ms (max of 5 {f['report_max_ms']} ms); "
                f"bare count {f['bare_count_ms']} ms; in Python {f['python_load_and_aggregate_ms']} ms; "
                f"charts {f['charts_drawn_ms']} ms"
            )
    print("RESULT " + json.dumps(figures))

"""Built-in plugin ``metrics``: MTTD, MTTA, MTTM, MTTR, frequency and recurrence, from stored milestones.

Definitions are pure (``domain``); the aggregation over history runs in SQL
(``sql``) over a milestones row per incident that observers keep in step
with the record (``record``).  Offered as ``!metrics``, ``chatops report
incidents`` (with charts) and a Prometheus ``/metrics`` endpoint.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel

from chatops import CommandContext, Option, UserError, hookimpl
from chatops.commands.declare import Command
from chatops.events import DomainEvent
from chatops.web import APP_KEY
from chatops.webauth import bearer_matches
from chatops_plugins.metrics import charts, present, prometheus, record, sql
from chatops_plugins.metrics.config import MetricsConfig

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx


def settings(app: App) -> MetricsConfig:
    found: MetricsConfig = app.section("metrics")
    return found


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"metrics": MetricsConfig}


@hookimpl
def chatops_migration_locations() -> list[str]:
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
async def chatops_startup(app: App) -> None:
    await record.backfill(app)


@hookimpl
async def chatops_event_recorded(tx: Tx, event: DomainEvent) -> None:
    await record.observe(tx, event)


def since_date(raw: str, ctx: CommandContext) -> datetime:
    try:
        found = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"not a date: {raw!r} (use 2026-01-01)") from None
    return found if found.tzinfo else found.replace(tzinfo=ctx.tz)


async def metrics_command(ctx: CommandContext, since: datetime | None) -> None:
    if since is not None and since > ctx.now:
        raise UserError("--since is in the future; pick a day in the past.")
    async with ctx.app.db.read() as conn:
        report = await sql.report(conn, since, settings(ctx.app).recur_within_days)
    await ctx.reply("\n".join(present.lines(report, since)))


@hookimpl
def chatops_commands() -> list[Any]:
    return [
        Command(
            "metrics",
            metrics_command,
            options=(Option("--since", since_date, metavar="DATE", help="from this day on"),),
            help="MTTD, MTTA, MTTM, MTTR, incidents by severity, recurrences",
            example="!metrics --since 2026-01-01",
        )
    ]


async def incidents_report(app: App, since: datetime | None, format: str, out: Path | None) -> str:
    async with app.db.read() as conn:
        report = await sql.report(conn, since, settings(app).recur_within_days)
        means = await sql.monthly_means(conn, since) if out is not None and format != "json" else {}
    if format == "json":
        return present.as_json(report, since)
    drawn: list[str] = []
    if out is not None:
        try:
            drawn = await asyncio.to_thread(charts.draw, report, means, out)
        except charts.ChartsUnavailable as exc:
            raise UserError(str(exc)) from None
    if format == "html":
        return present.as_html(report, since, drawn)
    return present.as_markdown(report, since, drawn)


@hookimpl
def chatops_reports(app: App) -> dict[str, Any]:
    return {"incidents": incidents_report}


async def scrape(request: web.Request) -> web.Response:
    """Prometheus text format, behind a bearer token (no token configured: no endpoint)."""
    app: App = request.app[APP_KEY]
    token = settings(app).token
    if token is None:
        return web.Response(status=404, text="set metrics.token to serve /metrics")
    if not bearer_matches(request, token):
        return web.Response(status=401, text="/metrics needs its bearer token")
    async with app.db.read() as conn:
        report = await sql.report(conn, None, recur_within_days=None)
        open_count = await sql.open_incidents(conn)
    return web.Response(body=prometheus.exposition(report, open_count), content_type="text/plain")


@hookimpl
def chatops_web_routes(app: App) -> list[Any]:
    return [web.get("/metrics", scrape)]

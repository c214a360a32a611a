"""A metrics report as chat text, Markdown, JSON or HTML (pure)."""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from chatops.clock import format_duration
from chatops_plugins.metrics.domain import MEASURES, Report

NAMES = {
    "mttd": "MTTD (started → detected)",
    "mtta": "MTTA (paged → acknowledged)",
    "mttm": "MTTM (detected → mitigated)",
    "mttr": "MTTR (detected → resolved)",
}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return format_duration(timedelta(seconds=round(seconds)))


def lines(report: Report, since: datetime | None) -> list[str]:
    head = f"Incidents since {since:%Y-%m-%d}" if since else "All incidents"
    severities = ", ".join(f"Sev{s}: {n}" for s, n in sorted(report.by_severity.items())) or "none"
    found = [f"{head}: {report.incidents} ({severities}); near-misses: {report.near_misses}"]
    for name in MEASURES:
        figure = report.figures[name]
        found.append(f"{NAMES[name]}: {duration(figure.mean_s)} over {figure.count} incident(s)")
    months = report.frequency["month"]
    if months:
        found.append(
            "By month: " + "; ".join(f"{m} {sum(v.values())}" for m, v in sorted(months.items())[-6:])
        )
    for recurrence in report.recurrences[:5]:
        ids = ", ".join(f"INC-{i}" for i in recurrence.incidents)
        found.append(f"Recurring {recurrence.kind} {recurrence.value!r}: {ids}")
    return found


def as_json(report: Report, since: datetime | None) -> str:
    document: dict[str, Any] = asdict(report)
    document["since"] = since.isoformat() if since else None
    return json.dumps(document, indent=2, sort_keys=True, default=str)


def as_markdown(report: Report, since: datetime | None, charts: list[str] | None = None) -> str:
    head = f"since {since:%Y-%m-%d}" if since else "all time"
    out = [f"# Incident report ({head})", ""]
    out += [
        "| | |",
        "| --- | --- |",
        f"| Incidents | {report.incidents} |",
        f"| Near-misses | {report.near_misses} |",
    ]
    out += [f"| Sev{s} | {n} |" for s, n in sorted(report.by_severity.items())]
    out += ["", "| Measure | Mean | Incidents |", "| --- | --- | --- |"]
    out += [
        f"| {NAMES[m]} | {duration(report.figures[m].mean_s)} | {report.figures[m].count} |" for m in MEASURES
    ]
    out += [
        "",
        "## By month",
        "",
        "| Month | " + " | ".join(f"Sev{s}" for s in sorted(report.by_severity)) + " |",
    ]
    out.append("| --- |" + " --- |" * len(report.by_severity))
    for month, counts in sorted(report.frequency["month"].items()):
        out.append(
            f"| {month} | " + " | ".join(str(counts.get(s, 0)) for s in sorted(report.by_severity)) + " |"
        )
    if report.recurrences:
        out += ["", "## Recurrences", ""]
        out += [
            f"- {r.kind} `{r.value}`: " + ", ".join(f"INC-{i}" for i in r.incidents)
            for r in report.recurrences
        ]
    for chart in charts or []:
        out += ["", f"![{chart}]({chart})"]
    return "\n".join(out) + "\n"


def as_html(report: Report, since: datetime | None, charts: list[str] | None = None) -> str:
    rows = "".join(
        f"<tr><th scope='row'>{html.escape(NAMES[m])}</th><td>{duration(report.figures[m].mean_s)}</td>"
        f"<td>{report.figures[m].count}</td></tr>"
        for m in MEASURES
    )
    months = "".join(
        f"<tr><th scope='row'>{html.escape(month)}</th><td>{sum(counts.values())}</td></tr>"
        for month, counts in sorted(report.frequency["month"].items())
    )
    images = "".join(f"<img src='{html.escape(c)}' alt='{html.escape(c)}'>" for c in charts or [])
    head = f"since {since:%Y-%m-%d}" if since else "all time"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Incident report</title></head><body>"
        f"<h1>Incident report ({html.escape(head)})</h1>"
        f"<p>{report.incidents} incidents, {report.near_misses} near-misses.</p>"
        f"<table><thead><tr><th>Measure</th><th>Mean</th><th>Incidents</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<h2>By month</h2><table><tbody>{months}</tbody></table>{images}</body></html>\n"
    )

"""An alert group as one chat message, edited in place as its alerts fire and resolve."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chatops.clock import format_duration
from chatops.models.content import Button, Buttons, Content, Text
from chatops.timefmt import local_time

SHOWN = 5  # alerts listed in the message; the rest are counted


def ref(group_id: int) -> str:
    return f"A-{group_id}"


def _distinct_labels(alerts: list[dict[str, Any]], common: dict[str, str]) -> list[str]:
    """The labels that tell a group's alerts apart (``instance``, ``pod``…)."""
    names = sorted({name for a in alerts for name in a["labels"]} - {"alertname"})
    if len(alerts) == 1:
        return [n for n in ("instance", "pod", "host", "service") if n in alerts[0]["labels"]][:1]
    return [n for n in names if len({a["labels"].get(n) for a in alerts}) > 1 or n not in common][:3]


def _alert_line(alert: dict[str, Any], distinct: list[str], tz: ZoneInfo, now: datetime) -> str:
    where = " ".join(f"{n}={alert['labels'][n]}" for n in distinct if n in alert["labels"])
    summary = (
        (alert["annotations"] or {}).get("summary") or (alert["annotations"] or {}).get("description") or ""
    )
    mark = "🔥" if alert["status"] == "firing" else "✅"
    text = " — ".join(part for part in (where, summary) if part) or alert["fingerprint"]
    since = f" (since {local_time(alert['starts_at'], tz, now)})" if alert["starts_at"] else ""
    return f"{mark} {text}{since}"


def headline(group: dict[str, Any]) -> str:
    parts = [ref(group["id"]), f"Sev{group['severity']}"]
    if group["service"]:
        parts.append(group["service"])
    return " · ".join(parts) + f" · {group['title']}"


def content(
    group: dict[str, Any],
    alerts: list[dict[str, Any]],
    tz: ZoneInfo,
    now: datetime,
    paging: str | None = None,
) -> Content:
    """The message: state, counts, who is paged or acknowledged, a few alerts, and the buttons.

    ``paging`` says how its page stands ("P-1 paged @bob (step 1/2)").
    """
    status = group["status"]
    mark = {"firing": "🔥", "resolving": "〰️", "resolved": "✅"}[status]
    lines = [f"{mark} {headline(group)}"]
    resolved = group["alerts"] - group["firing"]
    counts = f"{group['firing']} firing" + (f", {resolved} resolved" if resolved else "")
    facts = [counts, f"since {local_time(group['started_at'], tz, now)}"]
    if group["flaps"]:
        again = group["flaps"]
        facts.append(f"flapping: fired again {again} time{'s' if again > 1 else ''} within the hold")
    if status == "resolving":
        facts.append("all resolved; held in case it flaps")
    if status == "resolved" and group["resolved_at"]:
        # impact ended when the last alert did (the hold is ours), unless a person resolved it
        ended = group["resolved_at"]
        if not group["resolved_by"]:
            ended = max((a["resolved_at"] for a in alerts if a["resolved_at"]), default=ended)
        lasted = format_duration(ended - group["started_at"])
        by = f" by @{group['resolved_by']}" if group["resolved_by"] else ""
        facts = [f"resolved{by} at {local_time(ended, tz, now)} after {lasted}", counts]
    lines.append(" · ".join(facts))
    if group["ticket_only"]:
        lines.append("Ticket only: recorded, pages no one.")
    elif paging:
        lines.append(paging if paging.startswith("⚠️") else f"📟 {paging}")
    if group["acked_by"]:
        lines.append(f"👀 Acknowledged by @{group['acked_by']} at {local_time(group['acked_at'], tz, now)}.")
    if group["incident_id"]:
        lines.append(f"Incident: INC-{group['incident_id']}.")
    ordered = sorted(alerts, key=lambda a: (a["status"] != "firing", a["fingerprint"]))
    distinct = _distinct_labels(ordered, group["labels"])
    lines += [_alert_line(a, distinct, tz, now) for a in ordered[:SHOWN]]
    if len(ordered) > SHOWN:
        lines.append(f"… and {len(ordered) - SHOWN} more")
    blocks: list[Any] = [Text(("\n".join(lines),))]
    if status != "resolved":
        group_ref = ref(group["id"])
        buttons = []
        if not group["acked_by"] and not group["ticket_only"]:
            buttons.append(
                Button("Acknowledge", f"alert.ack:{group['id']}", f"!alert ack {group_ref}", "primary")
            )
        buttons.append(Button("Resolve", f"alert.resolve:{group['id']}", f"!alert resolve {group_ref}"))
        if not group["incident_id"]:
            buttons.append(
                Button(
                    "Declare incident",
                    f"alert.declare:{group['id']}",
                    f"!alert declare {group_ref}",
                    "danger",
                )
            )
        blocks.append(Buttons(tuple(buttons)))
    return Content(tuple(blocks))

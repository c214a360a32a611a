"""``chatops report actions``: open, overdue and stale action items, and themes that recur."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from chatops_plugins.incident.tables import incidents
from chatops_plugins.postmortem.store import OPEN
from chatops_plugins.postmortem.tables import action_items

if TYPE_CHECKING:
    from chatops.app import App

STALE_AFTER = timedelta(days=30)  # overdue this long: decide (do it, or drop it with a reason)


async def gather(app: App, since: datetime | None) -> dict[str, Any]:
    today = app.clock.now().astimezone(app.tz).date()
    query = select(action_items, incidents.c.tags, incidents.c.services, incidents.c.title).join(
        incidents, incidents.c.id == action_items.c.incident_id
    )
    if since is not None:
        query = query.where(action_items.c.created_at >= since)
    async with app.db.read() as conn:
        rows = (await conn.execute(query.order_by(action_items.c.due))).all()
    items, themes = [], defaultdict(set)
    for row in rows:
        due = date.fromisoformat(row.due)
        late = (today - due).days
        state = (
            row.status
            if row.status != OPEN
            else ("stale" if late > STALE_AFTER.days else "overdue" if late > 0 else "open")
        )
        items.append(
            {
                "id": f"AI-{row.id}",
                "incident": f"INC-{row.incident_id}",
                "text": row.text,
                "owner": row.owner_name,
                "due": row.due,
                "state": state,
            }
        )
        for label in [*(f"tag {t}" for t in row.tags), *(f"service {s}" for s in row.services)]:
            themes[label].add(row.incident_id)
    recurring = {label: sorted(ids) for label, ids in themes.items() if len(ids) > 1}
    return {"as_of": today.isoformat(), "items": items, "recurring_themes": recurring}


def markdown(found: dict[str, Any]) -> str:
    out = [f"# Action items (as of {found['as_of']})", ""]
    for state in ("stale", "overdue", "open", "done", "dropped"):
        chosen = [i for i in found["items"] if i["state"] == state]
        if chosen:
            out += [
                f"## {state.capitalize()} ({len(chosen)})",
                "",
                "| | Incident | Action | Owner | Due |",
                "| --- | --- | --- | --- | --- |",
            ]
            out += [
                f"| {i['id']} | {i['incident']} | {i['text']} | @{i['owner']} | {i['due']} |" for i in chosen
            ]
            out.append("")
    if found["recurring_themes"]:
        out += ["## Recurring themes", ""]
        for label, ids in sorted(found["recurring_themes"].items(), key=lambda kv: -len(kv[1])):
            out.append(f"- {label}: " + ", ".join(f"INC-{i}" for i in ids))
    return "\n".join(out) + "\n"


async def actions_report(app: App, since: datetime | None, format: str, out: Path | None) -> str:
    found = await gather(app, since)
    if format == "json":
        return json.dumps(found, indent=2) + "\n"
    text = markdown(found)
    if format == "html":
        import html as escape

        return (
            f"<!doctype html><html lang='en'><meta charset='utf-8'><pre>{escape.escape(text)}</pre></html>\n"
        )
    return text

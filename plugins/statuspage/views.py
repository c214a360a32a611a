"""The public page: HTML, Atlassian Statuspage-shaped JSON, and an Atom feed (pure: data in, documents out).

Only published rows go in: drafts, notes, hypotheses and the timeline are
never read here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from chatops_plugins.statuspage.config import StatuspageConfig
from chatops_plugins.statuspage.domain import indicator

PAGE_ID = "chatops"


def iso(when: datetime | None) -> str | None:
    return (
        None
        if when is None
        else when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _page(config: StatuspageConfig, updated_at: datetime) -> dict[str, Any]:
    return {
        "id": PAGE_ID,
        "name": config.name,
        "url": config.public_url,
        "time_zone": config.time_zone,
        "updated_at": iso(updated_at),
    }


def components(config: StatuspageConfig, data: dict[str, Any], created: datetime) -> list[dict[str, Any]]:
    found = []
    for position, component in enumerate(config.components, start=1):
        state = data["components"].get(component.id)
        found.append(
            {
                "id": component.id,
                "name": component.name,
                "status": state["status"] if state else "operational",
                "created_at": iso(created),
                "updated_at": iso(state["updated_at"] if state else created),
                "position": position,
                "description": component.description,
                "showcase": True,
                "start_date": None,
                "group_id": component.group,
                "page_id": PAGE_ID,
                "group": False,
                "only_show_if_degraded": False,
            }
        )
    return found


def incident(config: StatuspageConfig, row: dict[str, Any], updates: list[dict[str, Any]]) -> dict[str, Any]:
    names = {c.id: c.name for c in config.components}
    ident = f"inc-{row['id']}"
    return {
        "id": ident,
        "name": row["name"],
        "status": row["status"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "monitoring_at": iso(row["monitoring_at"]),
        "resolved_at": iso(row["resolved_at"]),
        "started_at": iso(row["created_at"]),
        "impact": row["impact"],
        "shortlink": f"{config.public_url.rstrip('/')}/status#{ident}" if config.public_url else None,
        "page_id": PAGE_ID,
        "incident_updates": [
            {
                "id": f"upd-{u['id']}",
                "status": u["status"],
                "body": u["body"],
                "incident_id": ident,
                "created_at": iso(u["created_at"]),
                "updated_at": iso(u["created_at"]),
                "display_at": iso(u["created_at"]),
                "affected_components": [
                    {"code": c, "name": names.get(c, c), "old_status": "operational", "new_status": s}
                    for c, s in u["components"].items()
                ],
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for u in updates
        ],
        "components": [
            {"id": c, "name": names.get(c, c), "status": s, "page_id": PAGE_ID}
            for c, s in row["components"].items()
        ],
    }


def maintenance(
    config: StatuspageConfig, row: dict[str, Any], updates: list[dict[str, Any]]
) -> dict[str, Any]:
    found = incident(config, row, updates)
    found["id"] = f"mnt-{row['id']}"
    found["impact"] = "maintenance"
    found["scheduled_for"] = iso(row.get("scheduled_for"))
    found["scheduled_until"] = iso(row.get("scheduled_until"))
    for update in found["incident_updates"]:
        update["incident_id"] = found["id"]
    return found


def documents(config: StatuspageConfig, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """summary.json, status.json, incidents.json and incidents/unresolved.json, as Statuspage shapes them."""
    rows = [r for r in data["incidents"] if r.get("kind", "incident") == "incident"]
    works = [r for r in data["incidents"] if r.get("kind") == "maintenance"]
    updated = max([r["updated_at"] for r in data["incidents"]], default=now)
    page = _page(config, updated)
    listed = [incident(config, r, data["updates"].get(r["id"], [])) for r in rows]
    unresolved = [i for i in listed if i["status"] != "resolved"]
    maintenances = [maintenance(config, r, data["updates"].get(r["id"], [])) for r in works]
    upcoming = [m for m in maintenances if m["status"] in ("scheduled", "in_progress")]
    comps = components(config, data, min([r["created_at"] for r in data["incidents"]], default=now))
    level, description = indicator(
        [c["status"] for c in comps],
        [i["impact"] for i in unresolved],
        maintenance=any(m["status"] == "in_progress" for m in maintenances),
    )
    status = {"indicator": level, "description": description}
    return {
        "summary.json": {
            "page": page,
            "status": status,
            "components": comps,
            "incidents": unresolved,
            "scheduled_maintenances": upcoming,
        },
        "status.json": {"page": page, "status": status},
        "incidents.json": {"page": page, "incidents": listed},
        "incidents/unresolved.json": {"page": page, "incidents": unresolved},
        "scheduled-maintenances.json": {"page": page, "scheduled_maintenances": maintenances},
    }


def atom(config: StatuspageConfig, data: dict[str, Any], now: datetime) -> str:
    """Each public update as an entry, newest first."""
    base = config.public_url.rstrip("/")
    updates = []
    for row in data["incidents"]:  # incidents and maintenance alike
        anchor = f"{'mnt' if row.get('kind') == 'maintenance' else 'inc'}-{row['id']}"
        for update in data["updates"].get(row["id"], []):
            updates.append((update["created_at"], update["id"], row, anchor, update))
    entries = [
        "<entry>"
        f"<id>tag:{escape(base or 'chatops')},status:upd-{update['id']}</id>"
        f"<title>{escape(row['name'])}: {escape(update['status'].replace('_', ' '))}</title>"
        f"<updated>{iso(update['created_at'])}</updated>"
        f'<link href="{escape(base)}/status#{anchor}"/>'
        f'<content type="text">{escape(update["body"])}</content>'
        "</entry>"
        for _, _, row, anchor, update in sorted(updates, key=lambda u: (u[0], u[1]), reverse=True)
    ]
    updated = iso(max([r["updated_at"] for r in data["incidents"]], default=now))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>tag:{escape(base or 'chatops')},status</id><title>{escape(config.name)}</title>"
        f"<author><name>{escape(config.name)}</name></author>"
        f'<updated>{updated}</updated><link href="{escape(base)}/status"/>' + "".join(entries) + "</feed>\n"
    )

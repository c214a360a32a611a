"""The public story of an incident (pure): what may be published, and how the page sums it up.

Customers read the status page; engineers read the incident room.  Only
text written for the page — a draft the Comms Lead (or IC) publishes — ever
reaches it.  The page says "resolved" only once the incident is resolved,
and a private incident reaches it only when published explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("investigating", "identified", "monitoring", "resolved")
IMPACTS = ("none", "minor", "major", "critical")
COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "completed")

# The component status an impact implies where a draft names components without one.
IMPACT_TO_COMPONENT = {
    "none": "operational",
    "minor": "degraded_performance",
    "major": "partial_outage",
    "critical": "major_outage",
}
_WORST_COMPONENT = {"major_outage": "critical", "partial_outage": "major", "degraded_performance": "minor"}
_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
    "maintenance": "Service Under Maintenance",
}


class Refused(ValueError):
    """The draft cannot be published; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Draft:
    body: str
    status: str
    impact: str
    components: dict[str, str]  # component id -> status
    title: str | None = None  # the public title (the internal one never goes out)


def check(
    draft: Draft, *, incident_status: str, private: bool, private_ok: bool, first: bool = False
) -> None:
    """Refuse what must not reach customers."""
    if not draft.body.strip():
        raise Refused("A public update needs text for customers.")
    if first and not (draft.title or "").strip():
        raise Refused(
            "The first public update needs a public title (the incident's own title stays internal): "
            '!statuspage draft "<text>" --title "Checkout is degraded"'
        )
    if draft.status == "resolved" and incident_status != "resolved":
        raise Refused(
            f"The incident is {incident_status}: the page says resolved only once the incident is resolved "
            "(after its monitoring window, or forced by the IC with a reason). Use --status monitoring."
        )
    if private and not private_ok:
        raise Refused(
            "This incident is private: it reaches the status page only when published on purpose: "
            "!statuspage publish --private-ok"
        )


def indicator(component_statuses: list[str], open_impacts: list[str], maintenance: bool) -> tuple[str, str]:
    """The page's overall status: the worst of open incidents' impact and components' state."""
    order = list(IMPACTS)
    worst = "none"
    for impact in open_impacts:
        if order.index(impact) > order.index(worst):
            worst = impact
    for status in component_statuses:
        implied = _WORST_COMPONENT.get(status, "none")
        if order.index(implied) > order.index(worst):
            worst = implied
    if worst == "none" and maintenance:
        return "maintenance", _DESCRIPTIONS["maintenance"]
    return worst, _DESCRIPTIONS[worst]


_SEVERITY_ORDER = list(COMPONENT_STATUSES)


def worst(statuses: list[str]) -> str:
    """The worst of component statuses ("operational" when there are none)."""
    ranked = [
        s
        for s in ("major_outage", "partial_outage", "degraded_performance", "under_maintenance")
        if s in statuses
    ]
    return ranked[0] if ranked else "operational"

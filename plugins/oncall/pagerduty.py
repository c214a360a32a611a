"""Built-in plugin ``oncall_pagerduty``: who is on call, from PagerDuty's ``GET /oncalls``.

A schedule with ``provider: pagerduty`` and ``external_id: <PagerDuty schedule id>``
is answered from PagerDuty; its people are matched by their PagerDuty user id
or e-mail in ``oncall.people.<name>.external``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from chatops import hookimpl
from chatops.timefmt import iso_utc
from chatops_plugins.oncall.config import OncallConfig
from chatops_plugins.oncall.providers import ProviderError, get_json

if TYPE_CHECKING:
    from chatops.app import App


class PagerDutyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_url: str = "https://api.pagerduty.com"
    token: SecretStr | None = Field(None, description="A REST API key (read-only is enough)")
    timeout_s: float = Field(5.0, gt=0, le=30)


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"pagerduty": PagerDutyConfig}


@hookimpl
async def chatops_oncall_lookup(app: App, schedule: str, at: datetime) -> str | None:
    oncall: OncallConfig = app.section("oncall")
    found = oncall.schedules.get(schedule)
    if found is None or found.provider != "pagerduty":
        return None
    settings: PagerDutyConfig = app.section("pagerduty")
    if settings.token is None:
        raise ProviderError("PagerDuty has no token: set pagerduty.token (e.g. CHATOPS_PAGERDUTY__TOKEN)")
    document = await get_json(
        "PagerDuty",
        f"{settings.api_url.rstrip('/')}/oncalls",
        {
            "Authorization": f"Token token={settings.token.get_secret_value()}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        },
        settings.timeout_s,
        **{
            "schedule_ids[]": found.external_id or schedule,
            "since": iso_utc(at) or "",
            "until": iso_utc(at + timedelta(seconds=1)) or "",
            "include[]": "users",
        },
    )
    entries = document.get("oncalls") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ProviderError("PagerDuty answered without an 'oncalls' list")
    for entry in sorted(entries, key=lambda e: e.get("escalation_level") or 99):
        user = entry.get("user") or {}
        person = oncall.person_known_as(str(user.get("id", "")), str(user.get("email", "")))
        if person is not None:
            return person
    if entries:
        names = ", ".join(str((e.get("user") or {}).get("summary", "?")) for e in entries)
        raise ProviderError(
            f"PagerDuty says {names} is on call, but nobody in oncall.people has that id or e-mail"
        )
    return None

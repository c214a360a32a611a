"""Built-in plugin ``oncall_roster``: who is on call, from any in-house roster service over HTTP.

A schedule with ``provider: roster`` is answered by a GET to
``roster.url`` (``{schedule}`` and ``{at}`` are filled in), reading the
person from ``roster.person_field`` (a dotted path, e.g. ``data.primary.email``)
and matching it against ``oncall.people.<name>.external``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from chatops import hookimpl
from chatops.timefmt import iso_utc
from chatops_plugins.oncall.config import OncallConfig
from chatops_plugins.oncall.providers import ProviderError, dig, get_json

if TYPE_CHECKING:
    from chatops.app import App


class RosterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field("", description="e.g. https://roster.example.org/api/oncall/{schedule}?at={at}")
    person_field: str = Field("person", description="Dotted path to the person's id or e-mail in the JSON")
    token: SecretStr | None = Field(None, description="Sent as 'Authorization: Bearer <token>'")
    timeout_s: float = Field(5.0, gt=0, le=30)


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"roster": RosterConfig}


@hookimpl
async def chatops_oncall_lookup(app: App, schedule: str, at: datetime) -> str | None:
    oncall: OncallConfig = app.section("oncall")
    found = oncall.schedules.get(schedule)
    if found is None or found.provider != "roster":
        return None
    settings: RosterConfig = app.section("roster")
    if not settings.url:
        raise ProviderError("The roster provider has no URL: set roster.url")
    url = settings.url.replace("{schedule}", quote(found.external_id or schedule)).replace(
        "{at}", quote(iso_utc(at) or "")
    )
    headers = {"Authorization": f"Bearer {settings.token.get_secret_value()}"} if settings.token else {}
    value = dig(await get_json("The roster service", url, headers, settings.timeout_s), settings.person_field)
    if value in (None, ""):
        return None
    person = oncall.person_known_as(str(value))
    if person is None:
        raise ProviderError(
            f"The roster says {value} is on call, but nobody in oncall.people has that in external"
        )
    return person

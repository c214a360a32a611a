"""Built-in plugin ``api``: an HTTP API on the app's web server for integrations.

A deploy bot, a CI job or a status dashboard lists and reads incidents,
declares one, posts updates and acknowledges pages, each with its own token
and only the actions it was given (``api.integrations``).  Everything goes
through the incident and on-call plugins' own code, so chat and the timeline
show it exactly as if typed, by ``api:<integration>``.  The OpenAPI document
is served at ``/api/v1/openapi.json``; see docs/api.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel

from chatops import hookimpl
from chatops.web import APP_KEY
from chatops_plugins.api import incidents, openapi, pages
from chatops_plugins.api.config import ApiConfig

if TYPE_CHECKING:
    from chatops.app import App


async def serve_document(request: web.Request) -> web.Response:
    """The OpenAPI document, without a token: it describes, it reveals nothing stored."""
    return web.json_response(openapi.document(request.app[APP_KEY]))


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"api": ApiConfig}


@hookimpl
def chatops_web_routes(app: App) -> list[Any]:
    prefix = openapi.PREFIX
    return [
        web.get(f"{prefix}/openapi.json", serve_document),
        web.get(f"{prefix}/incidents", incidents.list_incidents),
        web.post(f"{prefix}/incidents", incidents.declare),
        web.get(f"{prefix}/incidents/{{incident}}", incidents.read_incident),
        web.post(f"{prefix}/incidents/{{incident}}/updates", incidents.post_update),
        web.post(f"{prefix}/pages/{{page}}/ack", pages.acknowledge),
    ]

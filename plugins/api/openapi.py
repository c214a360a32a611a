"""The OpenAPI 3.1 document the API serves at ``/api/v1/openapi.json``.

Built from the same pydantic models that validate requests, and completed
from the running configuration (the title limit, the severity scale), so
integrations and property tests read exactly what the server checks.
Every error an endpoint can answer is listed with the shared ``Problem`` body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from chatops import __version__
from chatops_plugins.api import schemas
from chatops_plugins.api.incidents import INCIDENT_REF, MAX_LIMIT
from chatops_plugins.api.pages import PAGE_REF
from chatops_plugins.incident import lookup
from chatops_plugins.incident.config import IncidentConfig

if TYPE_CHECKING:
    from chatops.app import App

PREFIX = "/api/v1"
_ERRORS = {
    400: "The request cannot be read; the reason names the field",
    401: "Missing or wrong bearer token",
    403: "The integration was not given this action; the reason names it",
    404: "No such incident or page (or a private incident the integration did not take part in)",
    409: "Not possible in the current state (a resolved incident, a page already acknowledged)",
    413: "The body is larger than api.max_body_kb",
    503: "The database is unavailable, or this replica is standing by: retry",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}}},
    503: {"Retry-After": {"schema": {"type": "string"}}},
}


class _Builder:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode = "serialization") -> dict[str, str]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
        self.schemas.update(schema.pop("$defs", {}))
        self.schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def json(self, description: str, model: type[BaseModel]) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": self.ref(model)}}}

    def operation(
        self,
        operation_id: str,
        summary: str,
        action: str,
        ok: tuple[int, str, type[BaseModel]],
        errors: tuple[int, ...],
        *,
        body: type[BaseModel] | None = None,
        parameters: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        status, description, model = ok
        responses: dict[str, Any] = {str(status): self.json(description, model)}
        for code in (401, 403, *errors, 503):
            responses[str(code)] = self.json(_ERRORS[code], schemas.Problem)
            if code in _HEADERS:
                responses[str(code)]["headers"] = _HEADERS[code]
        found: dict[str, Any] = {
            "summary": summary,
            "description": f"Needs the action `{action}`.",
            "operationId": operation_id,
            "parameters": parameters or [],
            "responses": responses,
        }
        if body is not None:
            found["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": self.ref(body, "validation")}},
            }
        return found


def _path_parameter(name: str, pattern: str, example: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": pattern},
        "example": example,
    }


def _severity(app: App) -> dict[str, Any]:
    scale = lookup.scale_of(app)
    numbers = [level.number for level in scale.levels]
    names = [name for level in scale.levels for name in (level.name, *level.aliases)]
    return {
        "description": f"A level ({scale.range_hint()}) or its name or alias; "
        f"default: {scale.label(scale.default)}, to be confirmed in chat",
        "anyOf": [{"type": "integer", "enum": numbers}, {"type": "string", "enum": names}, {"type": "null"}],
        "default": None,
    }


def document(app: App) -> dict[str, Any]:
    """The OpenAPI document for this app's configuration."""
    build = _Builder()
    incident = _path_parameter("incident", INCIDENT_REF, "INC-42")
    page = _path_parameter("page", PAGE_REF, "P-17")
    listing = [
        {
            "name": "status",
            "in": "query",
            "schema": {"type": "string", "enum": ["open", "all"], "default": "open"},
        },
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
        },
    ]
    paths = {
        f"{PREFIX}/incidents": {
            "get": build.operation(
                "listIncidents",
                "List incidents, newest first",
                "incidents.read",
                (200, "The incidents", schemas.IncidentList),
                (400,),
                parameters=listing,
            ),
            "post": build.operation(
                "declareIncident",
                "Declare an incident and open its room (as !incident declare)",
                "incidents.declare",
                (201, "Declared; Location names it", schemas.Incident),
                (400, 413),
                body=schemas.DeclareRequest,
            ),
        },
        f"{PREFIX}/incidents/{{incident}}": {
            "get": build.operation(
                "readIncident",
                "Read an incident and its timeline",
                "incidents.read",
                (200, "The incident and every event, oldest first", schemas.IncidentWithTimeline),
                (404,),
                parameters=[incident],
            ),
        },
        f"{PREFIX}/incidents/{{incident}}/updates": {
            "post": build.operation(
                "postUpdate",
                "Post a status update (as !incident update)",
                "incidents.update",
                (201, "Posted; the incident as it is now", schemas.Incident),
                (400, 404, 409, 413),
                body=schemas.UpdateRequest,
                parameters=[incident],
            ),
        },
        f"{PREFIX}/pages/{{page}}/ack": {
            "post": build.operation(
                "acknowledgePage",
                "Acknowledge a page (as !ack P-17): escalation stops",
                "pages.ack",
                (200, "Acknowledged", schemas.Page),
                (404, 409),
                parameters=[page],
            ),
        },
        f"{PREFIX}/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
            }
        },
    }
    declare = build.schemas["DeclareRequest"]["properties"]
    settings: IncidentConfig = app.section("incident")
    declare["title"]["maxLength"] = settings.max_title_chars
    declare["severity"] = _severity(app)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "chatops HTTP API",
            "version": __version__,
            "description": "Incidents and pages for integrations; see docs/api.md.",
        },
        "paths": paths,
        "components": {
            "schemas": build.schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }

"""How every API endpoint answers: who is calling, whether it may, and never a traceback.

Each endpoint is ``async def handler(request, caller)`` wrapped by
``endpoint(action)``, which authenticates the bearer token (401), checks
the integration was given the action (403), and turns what can go wrong
into an answer with a reason: ``ApiError`` (400, 404, 409, 413) and an
unreachable database (503, which integrations retry).  The order is fixed
so an unauthenticated caller learns nothing about bodies or incidents.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from chatops.models.chat import User
from chatops.web import APP_KEY
from chatops.webauth import bearer_owner, problem, read_body
from chatops_plugins.api.config import Action, ApiConfig

if TYPE_CHECKING:
    from chatops.app import App

log = logging.getLogger("chatops.api")
M = TypeVar("M", bound=BaseModel)
UNAUTHENTICATED = {"WWW-Authenticate": 'Bearer realm="chatops"'}


class ApiError(Exception):
    """An answer other than success, with the reason a person or a log can act on."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers


@dataclass(frozen=True, slots=True)
class Caller:
    """The integration a request comes from; it acts in chat and the timeline as ``api:<name>``."""

    name: str

    @property
    def actor(self) -> User:
        return User(id=f"api:{self.name}", name=f"api:{self.name}")


def settings(app: App) -> ApiConfig:
    found: ApiConfig = app.section("api")
    return found


def authorize(request: web.Request, action: Action) -> Caller:
    """The calling integration, if its token is right (401) and it was given ``action`` (403)."""
    config = settings(request.app[APP_KEY])
    tokens = {name: integration.token for name, integration in config.integrations.items()}
    name = bearer_owner(request, tokens)
    if name is None:
        log.warning(
            "api: refused %s %s from %s: no valid token", request.method, request.path, request.remote
        )
        raise ApiError(401, "missing or wrong bearer token (Authorization: Bearer <token>)", UNAUTHENTICATED)
    if action not in config.integrations[name].actions:
        log.warning("api: refused %s %s to %s: it lacks %s", request.method, request.path, name, action)
        raise ApiError(
            403, f"integration {name!r} may not {action}: add it to api.integrations.{name}.actions"
        )
    return Caller(name)


async def body_of(request: web.Request, model: type[M]) -> M:
    """The JSON body as ``model`` (413 when too large, 400 with the reasons when unreadable)."""
    limit = settings(request.app[APP_KEY]).max_body_kb
    raw = await read_body(request, limit * 1024)
    if raw is None:
        raise ApiError(413, f"the body is larger than {limit} KiB (api.max_body_kb)")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            raise ApiError(400, "the body is not JSON (send a JSON object)") from None
        raise ApiError(400, reasons(exc)) from None


def reasons(error: ValidationError) -> str:
    """Pydantic's errors as one line: ``title: String should have at least 1 character; ...``.

    Only the field and the rule are named, never the value sent (it may be long, or a secret).
    """
    parts = []
    for err in error.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


Handler = Callable[[web.Request, Caller], Awaitable[web.Response]]


def endpoint(action: Action) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.Response]]]:
    """An aiohttp handler that authorizes ``action`` first and answers every failure with a reason."""

    def wrap(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        @functools.wraps(handler)
        async def serve(request: web.Request) -> web.Response:
            try:
                return await handler(request, authorize(request, action))
            except ApiError as exc:
                return problem(exc.status, exc.reason, exc.headers)
            except (SQLAlchemyError, OSError, TimeoutError) as exc:
                log.warning("api: %s %s: the database is unavailable (%s)", request.method, request.path, exc)
                return problem(503, "the database is unavailable; retry later", {"Retry-After": "5"})

        return serve

    return wrap

"""Property-based: whatever the served OpenAPI document allows (and much that it does not),
the real server on 127.0.0.1 answers as documented, and never with a server error.

Schemathesis reads the document from the running server and generates
requests for every operation, valid ones and invalid ones.  Its HTTP client
blocks, so it runs in a worker thread while the app keeps serving on the
test's event loop.  The run is bounded (a fixed number of examples per
operation) and deterministic (derandomized, no example database).
"""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.apiclient import DEPLOY_TOKEN
from chatops.testing import Harness
from chatops.web import WebServer
from chatops_plugins.incident import store

EXAMPLES_PER_OPERATION = 75
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
AUTH = {"Authorization": f"Bearer {DEPLOY_TOKEN}"}


def runs(path: str) -> list[tuple[schemathesis.GenerationMode, dict[str, str] | None]]:
    """Valid and invalid input; where the path names an incident or a page, also valid input
    for the ones the test made (random numbers almost never exist, so bodies would go untried)."""
    found: list[tuple[schemathesis.GenerationMode, dict[str, str] | None]] = [
        (schemathesis.GenerationMode.POSITIVE, None),
        (schemathesis.GenerationMode.NEGATIVE, None),
    ]
    if "{incident}" in path:
        found.append((schemathesis.GenerationMode.POSITIVE, {"incident": "INC-1"}))
    if "{page}" in path:
        found.append((schemathesis.GenerationMode.POSITIVE, {"page": "P-1"}))
    return found


def exercise(base_url: str) -> list[str]:
    """Run every operation of the served document; the labels of the runs."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
    ran: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, existing in runs(operation.path):

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=existing))
            def answers_as_documented(case: Any) -> None:
                case.call_and_validate(base_url=base_url, headers=AUTH, checks=CHECKS, timeout=10)

            answers_as_documented()
            ran.append(f"{operation.label} {mode.value}" + (" existing" if existing else ""))
    return ran


async def test_no_request_gets_a_server_error_or_an_undocumented_answer(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await chat.say('!page @carol "checkout down"', user="alice")
    server = WebServer(chat.app)
    port = await server.start("127.0.0.1", 0)
    try:
        ran = await asyncio.to_thread(exercise, f"http://127.0.0.1:{port}")
    finally:
        await server.stop()
    operations = sorted({" ".join(label.split()[:2]) for label in ran})
    assert operations == [  # schemathesis leaves out the document's own operation
        "GET /api/v1/incidents",
        "GET /api/v1/incidents/{incident}",
        "POST /api/v1/incidents",
        "POST /api/v1/incidents/{incident}/updates",
        "POST /api/v1/pages/{page}/ack",
    ]
    assert len(ran) == 2 * len(operations) + 3
    async with chat.app.db.read() as conn:  # the valid requests got through and acted
        declared = await store.listing(conn, only_open=False)
        updates = await store.timeline(conn, 1)
    assert sum(inc.declared_by == "api:deploy-bot" for inc in declared) >= 10
    assert any(event.actor == "api:deploy-bot" for event in updates if event.kind == "update_posted")

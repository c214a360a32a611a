"""Which action items ship: specific changes, not resolutions to do better."""

from __future__ import annotations

import pytest

from chatops_plugins.postmortem.rules import generic


@pytest.mark.parametrize(
    "text",
    [
        "improve monitoring",
        "be more careful",
        "add more tests",
        "better communication with support",
        "review our processes for deployments",
        "improve monitoring and alerting for the checkout service",
        "make sure it does not happen again",
    ],
)
def test_resolutions_are_refused(text: str) -> None:
    assert generic(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Alert when the connection pool is above 80% for 5 minutes",
        "Check pool size against connection count in the deploy pipeline",
        "Require a second reviewer for changes under infra/db",
        "Add a `max_connections` check to the release checklist",
        "Page the database team when replication lag exceeds 30 s",
        "Rotate the TLS certificates with cert-manager instead of by hand",
    ],
)
def test_specific_changes_pass(text: str) -> None:
    assert generic(text) is None

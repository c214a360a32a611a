"""A team with an on-call config, an IC schedule and the shipped drill scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

TEAM: dict[str, Any] = {
    "drill": {"scenarios_dir": str(ROOT / "config" / "drills")},
    "oncall": {
        "people": {
            name: {
                "accounts": [f"test:{name}"],
                "notify": [{"channel": "chat"}, {"channel": "email", "after": "1m"}],
            }
            for name in ("alice", "bob", "carol", "dave", "erin")
        },
        "schedules": {
            # weekly from Monday 2026-02-23: carol is the IC on duty in the harness' week (2026-03-02)
            "commanders": {
                "layers": [{"participants": ["alice", "carol", "bob"], "start": "2026-02-23 09:00"}]
            },
            "primary": {"layers": [{"participants": ["erin"], "start": "2026-02-23 09:00"}]},
        },
        "policies": {"page-primary": {"steps": [{"targets": ["schedule:primary"], "after": "5m"}]}},
        "severity_policies": {1: "page-primary", 2: "page-primary"},
        "ic_schedule": "commanders",
        "page_ic_for": [1, 2],
    },
}


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return TEAM

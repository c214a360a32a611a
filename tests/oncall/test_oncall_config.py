"""Mistakes in the on-call config are refused at start, naming the key and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chatops.app import App
from chatops.config import ConfigError, load_config


def build(tmp_path: Path, oncall: dict[str, Any]) -> App:
    config = load_config(
        None, db_url=f"sqlite:///{tmp_path / 'c.db'}", environ={}, overrides={"oncall": oncall}
    )
    return App(config, transports={})


@pytest.mark.parametrize(
    ("oncall", "message"),
    [
        ({"people": {"alice": {"timezone": "Mars/Olympus"}}}, "unknown timezone 'Mars/Olympus'"),
        (
            {"schedules": {"p": {"layers": [{"participants": ["nobody"], "start": "2026-01-05 09:00"}]}}},
            "schedules.p: ['nobody'] not in oncall.people",
        ),
        (
            {
                "people": {"a": {}},
                "schedules": {"p": {"layers": [{"participants": ["a"], "start": "Monday"}]}},
            },
            "not a date and time: 'Monday'",
        ),
        (
            {"policies": {"d": {"steps": [{"targets": ["schedule:ghost"]}]}}},
            "policies.d: no schedule 'ghost'",
        ),
        ({"policies": {"d": {"steps": [{"targets": ["pager:x"]}]}}}, "use schedule:<name>, user:<person>"),
        ({"severity_policies": {1: "missing"}}, "severity_policies.1: no policy 'missing'"),
        (
            {"people": {"a": {"accounts": ["slack:U1"]}, "b": {"accounts": ["slack:U1"]}}},
            "account slack:U1 belongs to both a and b",
        ),
    ],
)
def test_a_mistake_is_named(tmp_path: Path, oncall: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match="oncall") as error:
        build(tmp_path, oncall)
    assert message in str(error.value)

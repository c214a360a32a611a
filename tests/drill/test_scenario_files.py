"""Scenario files: validated, each mistake named by file and field; a broken one is reported, not fatal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from chatops.testing import Harness
from chatops_plugins.drill import scenario

GOOD = """
name: tiny
title: A tiny drill
briefing: Something is off.
severity: 3
impact: Search is slow for some users.
services: [search]
injects:
  - {at: 0m, kind: alert, text: search p99 2 s}
  - {at: 1m, kind: page, who: ic, text: search slow}
"""


def test_the_shipped_scenarios_are_valid_and_realistic() -> None:
    shipped = Path(__file__).resolve().parents[2] / "config" / "drills"
    found = scenario.load(shipped, [1, 2, 3, 4])
    assert found.problems == []
    assert set(found.scenarios) >= {"checkout-latency", "database-failover", "certificate-expiry"}
    for plan in found.scenarios.values():
        kinds = {i.kind for i in plan.injects}
        assert {"alert", "page", "worse", "red_herring"} <= kinds, plan.name


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"injects": [{"at": "2x", "kind": "alert", "text": "a"}]},
            "bad.yaml: injects.0.at: not a duration: '2x'",
        ),
        (
            {"injects": [{"at": "1m", "kind": "page", "text": "a"}]},
            "bad.yaml: injects.0: a page inject needs who",
        ),
        (
            {"injects": [{"at": "1m", "kind": "rumour", "text": "a"}]},
            "bad.yaml: injects.0.kind: Input should be 'alert'",
        ),
        (
            {"injects": [{"at": "1m", "kind": "note", "text": "a", "who": "ic"}]},
            "who is for page injects only",
        ),
        ({"injects": []}, "bad.yaml: injects: List should have at least 1 item"),
        ({"name": "Not A Name"}, "bad.yaml: name: String should match pattern"),
        ({"severity": None}, "bad.yaml: severity: Input should be a valid integer"),
        ({"sevrity": 2}, "bad.yaml: sevrity: Extra inputs are not permitted"),
    ],
)
def test_each_mistake_names_the_file_and_the_field(change: dict[str, Any], expected: str) -> None:
    import yaml

    data = {**yaml.safe_load(GOOD), **change}
    with pytest.raises(ValueError) as caught:
        scenario.parse(yaml.safe_dump(data), "bad.yaml")
    assert expected in str(caught.value)


def test_unreadable_yaml_and_unknown_severities_are_problems_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(GOOD)
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n")
    (tmp_path / "list.yaml").write_text("- just a list\n")
    (tmp_path / "sev9.yaml").write_text(
        GOOD.replace("severity: 3", "severity: 9").replace("name: tiny", "name: sev9")
    )
    (tmp_path / "again.yml").write_text(GOOD)
    found = scenario.load(tmp_path, [1, 2, 3, 4])
    assert list(found.scenarios) == ["tiny"]
    assert found.problems == [  # files are read in name order: again.yml claims "tiny" first
        "broken.yaml: not valid YAML (line 2): expected ',' or ']', but got '<stream end>'",
        "list.yaml: a scenario is a mapping (name:, title:, briefing:, ..., injects:)",
        "sev9.yaml: severity: 9 is not a configured severity [1, 2, 3, 4]",
        "tiny.yaml: name: 'tiny' is taken by another file; names are unique",
    ]
    assert scenario.load(tmp_path / "nope", [1]).problems == [
        f"{tmp_path / 'nope'}: no such folder (set drill.scenarios_dir)"
    ]


async def test_list_reports_broken_files_and_start_refuses_them(
    chat_factory: Callable[..., Awaitable[Harness]], chat_config: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "tiny.yaml").write_text(GOOD)
    (tmp_path / "late.yaml").write_text(
        GOOD.replace("name: tiny", "name: late").replace("at: 1m", "at: soon")
    )
    chat = await chat_factory(config={**chat_config, "drill": {"scenarios_dir": str(tmp_path)}})
    listing = (await chat.reply("!drill list")).splitlines()
    assert listing == [
        f"Drill scenarios in {tmp_path}:",
        "• tiny — A tiny drill (intended Sev3; 2 injects over 1 min)",
        "⚠️ Not usable until fixed:",
        "• late.yaml: injects.1.at: not a duration: 'soon' (use e.g. 0m, 90s, 2m, 1h)",
        "Start one: !drill start tiny [--ic @person]",
    ]
    assert await chat.reply("!drill start late", user="dave") == (
        "Scenario late cannot start until its file is fixed:\n"
        "late.yaml: injects.1.at: not a duration: 'soon' (use e.g. 0m, 90s, 2m, 1h)"
    )


def test_a_relative_scenarios_dir_is_read_from_the_working_directory(tmp_path: Path) -> None:
    from chatops_plugins.drill.config import DrillConfig

    assert DrillConfig().directory(tmp_path) == tmp_path / "config" / "drills"
    assert DrillConfig(scenarios_dir="/srv/drills").directory(tmp_path) == Path("/srv/drills")

"""``chatops report``: the reports plugins offer, from the command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from chatops.cli import main
from chatops.testing import Harness


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *args, "--db", f"sqlite:///{tmp_path / 'r.db'}"])
    out, err = capsys.readouterr()
    return code, out, err


def test_reports_are_listed_and_an_unknown_one_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, capsys, "list") == (0, "Reports: actions, drills, incidents, oncall\n", "")
    code, _, err = run(tmp_path, capsys, "weather")
    assert code != 0 and "no report 'weather'; reports: actions, drills, incidents, oncall" in err
    code, _, err = run(tmp_path, capsys, "incidents", "--since", "last week")
    assert code != 0 and "--since 'last week' is not a date" in err


def test_the_incident_report_as_json_and_the_actions_as_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(tmp_path, capsys, "incidents", "--format", "json", "--since", "2026-01-01")
    document = json.loads(out)
    assert (
        code == 0
        and document["incidents"] == 0
        and set(document["figures"]) == {"mttd", "mtta", "mttm", "mttr"}
    )
    code, out, _ = run(tmp_path, capsys, "actions")
    assert code == 0 and out.startswith("# Action items (as of ")
    code, out, _ = run(tmp_path, capsys, "incidents", "--out", str(tmp_path / "out"))
    assert code == 0 and out == f"Wrote {tmp_path / 'out' / 'incidents.md'}\n"
    assert (tmp_path / "out" / "frequency.svg").exists()


ONCALL = {
    "timezone": "Europe/Berlin",
    "oncall": {
        "people": {
            "alice": {"timezone": "Europe/Berlin", "accounts": ["test:alice"]},
            "bob": {"timezone": "America/New_York", "accounts": ["test:bob"]},
        }
    },
}


async def _two_pages_and_an_incident(db_url: str) -> None:
    chat = await Harness.create(db_url, config=ONCALL)  # from Mon 2026-03-02 14:00 UTC
    try:
        await chat.say('!page @bob "queue backlog"', user="alice")  # 09:00 EST: inside bob's hours
        await chat.advance("14h")  # Tue 04:00 UTC, 23:00 EST Mon: outside, Monday's night
        await chat.say('!page @bob "disk 95%"', user="alice")
        await chat.say('!incident declare "Checkout errors" --sev 2', user="alice")  # alice IC
        await chat.advance("90m")
        await chat.say('!incident resolve --force "false alarm" --id 1', user="alice")  # 1h 30min
    finally:
        await chat.close()


def test_the_oncall_report_as_markdown_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(_two_pages_and_an_incident(f"sqlite:///{tmp_path / 'r.db'}"))
    config = tmp_path / "chatops.yaml"
    config.write_text(yaml.safe_dump(ONCALL))
    code, out, _ = run(tmp_path, capsys, "oncall", "--since", "2026-03-01", "--config", str(config))
    assert code == 0 and out.startswith("# On-call load, 2026-03-01 to ")
    assert "| @bob | America/New_York | mon tue wed thu fri 09:00-17:00 | 2 | 1 | 1 | 0 |" in out
    assert "| @alice | Europe/Berlin | mon tue wed thu fri 09:00-17:00 | 0 | 0 | 0 | 1h 30min |" in out
    assert out.index("| @bob") < out.index("| @alice")  # a night interrupted weighs most
    code, out, _ = run(
        tmp_path, capsys, "oncall", "--since", "2026-03-01", "--format", "json", "--config", str(config)
    )
    document = json.loads(out)
    assert code == 0 and document["since"] == "2026-02-28T23:00:00+00:00"  # midnight in Berlin
    assert [(p["person"], p["pages"], p["incident_hours"]) for p in document["people"]] == [
        ("bob", 2, 0.0),
        ("alice", 0, 1.5),
    ]
    assert document["totals"] == {
        "pages": 2,
        "distinct_pages": 2,
        "pages_outside_hours": 1,
        "nights_interrupted": 1,
        "incident_hours": 1.5,
    }
    code, _, err = run(tmp_path, capsys, "oncall", "--since", "2999-01-01", "--config", str(config))
    assert code != 0 and "--since 2999-01-01 is in the future; pick a day in the past" in err
    assert "Traceback" not in err

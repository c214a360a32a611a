"""``chatops report``: the reports plugins offer, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatops.cli import main


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *args, "--db", f"sqlite:///{tmp_path / 'r.db'}"])
    out, err = capsys.readouterr()
    return code, out, err


def test_reports_are_listed_and_an_unknown_one_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, capsys, "list") == (0, "Reports: actions, incidents\n", "")
    code, _, err = run(tmp_path, capsys, "weather")
    assert code != 0 and "no report 'weather'; reports: actions, incidents" in err
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

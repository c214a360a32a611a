"""The Sev2 scenario in the console, then the page exported as static files: the public story only."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def chatops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatops.cli", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_a_sev2_in_the_console_ends_with_the_right_public_story(tmp_path: Path) -> None:
    config = str(ROOT / "examples" / "status-page.yaml")
    db = f"sqlite:///{tmp_path / 'chatops.db'}"
    script = str(ROOT / "examples" / "status-page.txt")
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0).isoformat()
    run = chatops(
        "shell",
        "--config",
        config,
        "--db",
        db,
        "--script",
        script,
        "--fake-clock",
        two_hours_ago,  # the export reads the last 90 days of real time
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    published = [line for line in run.stdout.splitlines() if "chatops: Published to" in line]
    assert len(published) == 4 and published[-1].endswith("resolved — Checkout is working normally again.")

    export = chatops(
        "statuspage", "export", str(tmp_path / "site"), "--config", config, "--db", db, cwd=tmp_path
    )
    assert export.returncode == 0, export.stderr
    site = tmp_path / "site"
    summary = json.loads((site / "api/v2/summary.json").read_text())
    assert summary["status"]["indicator"] == "none" and summary["incidents"] == []
    (story,) = json.loads((site / "api/v2/incidents.json").read_text())["incidents"]
    assert [u["body"] for u in story["incident_updates"]] == [
        "Checkout is working normally again.",
        "A fix is in place and we are monitoring.",
        "We found the cause and are rolling out a fix.",
        "Some customers cannot complete checkout. We are investigating.",
    ]
    everything = "".join(p.read_text() for p in site.rglob("*") if p.is_file())
    assert "connection pool" not in everything and "rolled back to 1233" not in everything
    assert "All Systems Operational" in (site / "index.html").read_text()
    assert (site / "history.atom").read_text().count("<entry>") == 4

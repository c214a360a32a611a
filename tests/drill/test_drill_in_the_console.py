"""The shipped checkout-latency drill, played from a script in the console shell under a fake clock.

The script (examples/drill.txt), worked out by hand from the scenario's timetable:

  14:00     dave starts the drill; alice is first in the IC pool; the alert inject plays
  14:01     the page inject pages the IC, alice (P-1)
  14:02:30  alice acknowledges                       → time to acknowledge: 1 min 30 s
  14:04     alice declares INC-1, Sev2, in the room  → 4 min from the start and from the first alert
  14:06     Tech Lead @bob, Comms Lead @carol        → 2 min after the declaration, each
  14:10     first update                             → 6 min after the declaration: on time (Sev2: 30 min)
  14:12     mitigated, never marked identified       → mitigation before diagnosis: yes
  14:42     second update (32 min after the first: 2 min late) → cadence kept 1 of 2;
            resolved (14:12 + Sev2's 30 min monitoring window) → the debrief
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_drill_runs_end_to_end_in_the_console(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "chatops.cli",
            "shell",
            "--config",
            str(ROOT / "examples" / "drill.yaml"),
            "--db",
            f"sqlite:///{tmp_path / 'chatops.db'}",
            "--script",
            str(ROOT / "examples" / "drill.txt"),
            "--fake-clock",
            "2026-03-02T14:00:00Z",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,  # the example config reads config/drills relative to where chatops runs
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Traceback" not in out + run.stderr
    assert "🧪 DRILL · 🚨 Alert: checkout-api p99 latency" in out
    assert "🧪 DRILL · INC-1 declared · Sev2" in out
    debrief = out[out.rindex("# Debrief — DRILL-1 · Checkout latency after a bad deploy") :]
    figures = [line.strip() for line in debrief.splitlines() if line.strip().startswith("- **")]
    assert figures == [
        "- **Time to acknowledge the page (@alice)**: 1 min 30 s",
        "- **Time to declare**: 4 min from the start, 4 min from the first alert",
        "- **Time to assign the Incident Commander**: at the declaration ✅",
        "- **Time to assign the Tech Lead**: 2 min after the declaration ✅",
        "- **Time to assign the Comms Lead**: 2 min after the declaration ✅",
        "- **Time to first update**: 6 min after the declaration",
        "- **Update cadence**: kept 1 of 2 ❌",
        "- **Severity**: declared Sev2, intended Sev2: matched ✅",
        "- **Mitigation before diagnosis**: yes: mitigated (the cause was never marked identified) ✅",
    ]
    assert "- 32 min after the previous (cadence every 30 min): 2 min late" in debrief
    assert "ended 14:42 (the practice incident INC-1 was resolved) · 42 min of drill time" in debrief
    # the page went to the IC in chat, marked as a drill
    assert "📟 You are paged: 🧪 DRILL · P-1" in out

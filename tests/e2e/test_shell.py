"""``chatops shell`` end to end, as a newcomer runs it: a script, a fake clock, then ``chatops export``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_INCIDENT = ROOT / "examples" / "first-incident.txt"


def chatops(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatops.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_the_readme_first_incident_runs_to_the_end_and_exports(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'chatops.db'}"
    run = chatops(
        "shell",
        "--db",
        db,
        "--script",
        str(FIRST_INCIDENT),
        "--fake-clock",
        "2026-03-02T14:00:00Z",
        cwd=tmp_path,  # the postmortem is written to ./postmortems
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert '[lobby] alice: !incident declare "Checkout API errors" --sev 2 --started 13:55' in lines
    assert '[lobby] chatops: INC-1 declared · Sev2 · "Checkout API errors"' in lines
    assert "    IC @alice · Tech Lead — · Comms Lead —" in lines
    assert (
        "[inc-1-checkout-api-errors] chatops: @alice INC-1 update is due (Sev2 cadence: every 30 min). Post one with"
        in lines
    )
    assert any(
        line.startswith("[inc-1-checkout-api-errors] chatops: Can't resolve INC-1 yet") for line in lines
    )
    assert "[inc-1-checkout-api-errors] chatops: INC-1 is resolved. Thank you all." in lines
    assert "Traceback" not in run.stdout + run.stderr
    assert lines[-1] == (
        "[inc-1-checkout-api-errors] chatops: INC-1 postmortem published: "
        "postmortems/INC-1-postmortem.md, postmortems/INC-1-postmortem.html"
    )
    postmortem = (tmp_path / "postmortems" / "INC-1-postmortem.md").read_text()
    assert "| Durations | time to detect 5 min, to mitigate 31 min, to resolve 1 h 1 min |" in postmortem
    assert "- **2026-03-02 14:31 UTC** @alice — identified → mitigated: rolled back to 1233\n" in postmortem
    assert (
        "3. How was that possible? Nothing checks pool size against the connection count before a deploy."
        in (postmortem)
    )
    assert (
        "| AI-2 | Check pool size against connection count in the deploy pipeline | alice | 2026-04-01 | open |"
        in (postmortem)
    )

    export = chatops("export", "--db", db)
    assert export.returncode == 0, export.stderr
    document = json.loads(export.stdout)
    assert document["schema"] == "chatops.export/1"
    [incident] = document["incidents"]
    assert incident["status"] == "resolved"
    assert incident["started_at"] == "2026-03-02T13:55:00Z"
    assert incident["mitigated_at"] == "2026-03-02T14:31:00Z"
    assert incident["resolved_at"] == "2026-03-02T15:01:00Z"
    assert incident["roles"]["tech-lead"]["user"] == "console:bob"
    assert [h["to"] for h in incident["status_history"]] == [
        "investigating",
        "identified",
        "mitigated",
        "resolved",
    ]


def test_refused_commands_are_answers_not_errors(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'chatops.db'}"
    run = chatops("shell", "--db", db, "--script", "-", stdin="!incident resolve\n!nonsense\n:advance 5m\n")
    assert run.returncode == 0
    assert "Which incident?" in run.stdout and 'Unknown command "!nonsense"' in run.stdout
    assert ":advance needs a fake clock" in run.stdout


def test_an_unknown_directive_fails_the_script(tmp_path: Path) -> None:
    run = chatops(
        "shell", "--db", f"sqlite:///{tmp_path / 'c.db'}", "--script", "-", stdin=":teleport lobby\n"
    )
    assert run.returncode == 2
    assert "unknown directive ':teleport lobby'" in run.stderr


def test_an_unreadable_script_fails(tmp_path: Path) -> None:
    run = chatops(
        "shell", "--db", f"sqlite:///{tmp_path / 'c.db'}", "--script", str(tmp_path / "missing.txt")
    )
    assert run.returncode == 2 and "cannot read script" in run.stderr


def test_a_fake_clock_may_not_start_before_what_is_stored(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'chatops.db'}"
    chatops(
        "shell",
        "--db",
        db,
        "--script",
        "-",
        "--fake-clock",
        "2026-03-02T14:00:00Z",
        stdin="!incident declare x\n",
    )
    run = chatops("shell", "--db", db, "--script", "-", "--fake-clock", "2026-03-01T09:00:00Z", stdin="")
    assert run.returncode == 2
    assert "is before 2026-03-02T14:00:00Z, the latest time already stored" in run.stderr


def test_default_database_is_a_sqlite_file_in_the_working_directory(tmp_path: Path) -> None:
    run = chatops("shell", "--script", "-", stdin="!incident declare disk full\n", cwd=tmp_path)
    assert run.returncode == 0 and "INC-1 declared" in run.stdout
    assert (tmp_path / "chatops.db").exists()


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "chatops.yaml"
    config.write_text("web:\n  prot: 1\n", encoding="utf-8")
    run = chatops("check-config", "--config", str(config))
    assert run.returncode == 2
    assert (
        run.stderr.strip()
        == f"chatops: configuration error: {config}: web.prot: unknown setting — did you mean 'port'?"
    )


def test_postgres_is_upgraded_by_command_then_used(pg_url: str) -> None:
    refused = chatops("export", "--db", pg_url)
    assert refused.returncode == 2 and "chatops db upgrade" in refused.stderr
    upgraded = chatops("db", "upgrade", "--db", pg_url)
    assert upgraded.returncode == 0 and "is up to date" in upgraded.stdout
    assert "postgres@" in upgraded.stdout
    assert chatops("shell", "--db", pg_url, "--script", "-", stdin="!incident declare x\n").returncode == 0
    exported = json.loads(chatops("export", "--db", pg_url).stdout)
    assert [i["title"] for i in exported["incidents"]] == ["x"]


def test_plugins_lists_hooks_and_commands(tmp_path: Path) -> None:
    run = chatops("plugins", "--db", f"sqlite:///{tmp_path / 'c.db'}")
    assert run.returncode == 0
    assert (
        "severity (chatops 0.1.0)\n  hooks: chatops_commands, chatops_config_models, chatops_event_recorded"
        in run.stdout
    )
    assert "commands: incident sev" in run.stdout


def test_an_unusable_database_is_a_clear_error(tmp_path: Path) -> None:
    run = chatops("export", "--db", f"sqlite:///{tmp_path}/missing-dir/c.db")
    assert run.returncode == 2 and run.stderr.startswith("chatops: cannot use the database: unable to open")


def test_a_bad_database_url_hides_its_password() -> None:
    run = chatops("export", "--db", "postgresql://chatops:s3cret@db:notaport/chatops")
    assert run.returncode == 2 and "s3cret" not in run.stderr and "***" in run.stderr


def test_conflicting_environment_variables_are_named(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "CHATOPS_WEB": "1", "CHATOPS_WEB__PORT": "9"}
    run = subprocess.run(
        [sys.executable, "-m", "chatops.cli", "check-config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 2 and "CHATOPS_WEB__PORT: conflicts with CHATOPS_WEB" in run.stderr


def test_advancing_absurdly_far_is_an_answer(tmp_path: Path) -> None:
    run = chatops(
        "shell",
        "--db",
        f"sqlite:///{tmp_path / 'c.db'}",
        "--fake-clock",
        "2026-03-02T14:00:00Z",
        "--script",
        "-",
        stdin=":advance 99999999d\n!incident list\n",
    )
    assert run.returncode == 0 and "* :advance 99999999d:" in run.stdout and "No open incidents" in run.stdout

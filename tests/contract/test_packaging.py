"""Built-in plugins load like anyone's: through entry points, under a name that cannot collide."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_built_ins_are_entry_points() -> None:
    names = {ep.name: ep.value for ep in entry_points(group="chatops.plugins")}
    assert names["incident"] == "chatops_plugins.incident"
    assert {"core", "incident", "severity", "roles", "timeline"} <= set(names)


def test_the_testing_harness_is_a_pytest_plugin() -> None:
    assert any(ep.value == "chatops.testing.pytest_plugin" for ep in entry_points(group="pytest11"))


def test_plugins_are_never_imported_twice_from_the_repo_root() -> None:
    code = (
        "import sys; from chatops.app import App; from chatops.config import load_config;"
        "App(load_config(None, environ={}), transports={});"
        "bad = sorted(m for m in sys.modules if m == 'plugins' or m.startswith('plugins.'));"
        "print(bad); assert not bad, bad"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_disabled_plugin_is_not_loaded(tmp_path: Path) -> None:
    from chatops.app import App
    from chatops.config import load_config

    config = load_config(
        None,
        db_url=f"sqlite:///{tmp_path / 'c.db'}",
        environ={},
        overrides={"plugins": {"disabled": ["timeline"]}},
    )
    app = App(config, transports={})
    assert "timeline" in app.plugin_report.disabled
    assert "timeline" not in app.commands.groups["incident"].commands

"""Built-in plugins load like anyone's: through entry points, under a name that cannot collide;
an example third-party plugin, pip-installed, is found the same way."""

from __future__ import annotations

import os
import shutil
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


def test_the_flags_example_installs_with_pip_and_loads_through_its_entry_point(tmp_path: Path) -> None:
    # A copy, so the build leaves nothing in the checkout; offline: no index, no isolated build env.
    source = shutil.copytree(
        ROOT / "examples" / "flags-plugin",
        tmp_path / "flags-plugin",
        ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__"),
    )
    site = tmp_path / "site"
    pip = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-index",
        "--no-deps",
        "--no-build-isolation",
    ]
    installed = subprocess.run(
        [*pip, "--target", str(site), str(source)], capture_output=True, text=True, timeout=120
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    env = {**os.environ, "PYTHONPATH": str(site)}
    listed = subprocess.run(
        [sys.executable, "-m", "chatops.cli", "plugins"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    flags = lines.index("flags (chatops-flags 0.1.0)")
    assert lines[flags + 1 : flags + 4] == [
        "  hooks: chatops_commands, chatops_config_models",
        "  commands: flag off, flag on, flag status",
        "  config: flags (FlagsConfig: url, token, timeout_s)",
    ]
    where = "from importlib.metadata import entry_points as e; print(e(group='chatops.plugins')['flags'].load().__file__)"
    loaded = subprocess.run(
        [sys.executable, "-c", where], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert Path(loaded.stdout.strip()).is_relative_to(site), loaded.stdout + loaded.stderr

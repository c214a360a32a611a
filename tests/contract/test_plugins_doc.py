"""docs/plugins.md works as written: its files make a package that installs, loads and passes its tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILE_BLOCK = re.compile(r"\*\*`(?P<path>[^`]+)`\*\*\n\n```\w*\n(?P<code>.*?)```", re.DOTALL)
BIN = Path(sys.executable).parent


def write_package_from_the_page(target: Path) -> list[str]:
    files: dict[str, str] = {}
    for block in FILE_BLOCK.finditer((ROOT / "docs" / "plugins.md").read_text()):
        files[block["path"]] = files.get(block["path"], "") + block["code"] + "\n\n"
    for path, code in files.items():
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_text(code.rstrip() + "\n")
    return sorted(files)


def test_the_plugin_on_the_page_installs_loads_and_passes_its_tests(tmp_path: Path) -> None:
    package, installed = tmp_path / "chatops-changes", tmp_path / "site"
    package.mkdir()
    assert write_package_from_the_page(package) == [
        "chatops_changes/__init__.py",
        "chatops_changes/migrations/__init__.py",
        "chatops_changes/migrations/changes_0001_initial.py",
        "pyproject.toml",
        "tests/test_changes.py",
    ]
    pip = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-index",
        "--no-deps",
        "--no-build-isolation",
        "--target",
        str(installed),
        str(package),
    ]
    built = subprocess.run(pip, capture_output=True, text=True, timeout=240)
    assert built.returncode == 0, built.stderr
    env = {**os.environ, "PYTHONPATH": str(installed)}

    listed = subprocess.run(
        [BIN / "chatops", "plugins", "--db", f"sqlite:///{tmp_path / 'p.db'}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,
    )
    assert "changes (chatops-changes 0.1.0)\n" in listed.stdout, listed.stdout + listed.stderr
    assert (
        "  commands: change add, change list\n  config: changes (ChangesConfig: keep_days, token)"
        in listed.stdout
    )

    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=package,
    )
    assert tested.returncode == 0 and "3 passed" in tested.stdout, tested.stdout + tested.stderr

"""``chatops plugins``: what each loaded plugin is, and what it adds."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatops import __version__
from chatops.cli import main


def test_each_plugin_shows_its_version_hooks_commands_and_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugins", "--db", f"sqlite:///{tmp_path / 'p.db'}"]) == 0
    out = capsys.readouterr().out
    block = out[out.index("\nincident (") + 1 :].split("\n", 4)
    assert block[0] == f"incident (chatops {__version__})"
    assert block[1].startswith("  hooks: chatops_commands, chatops_config_models")
    assert block[2].startswith("  commands: incident bridge, incident declare, ")
    assert block[3].startswith("  config: incident (IncidentConfig: declarer_is_ic, room_prefix")

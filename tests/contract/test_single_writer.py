"""SQLite serves one chatops process: a second serving one is refused with what to do instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatops.app import App
from chatops.config import ConfigError, load_config


def app_on(url: str) -> App:
    config = load_config(None, db_url=url, environ={}, overrides={"database": {"auto_migrate": True}})
    return App(config, transports={})


async def test_a_second_process_serving_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    first = app_on(url)
    await first.start()
    second = app_on(url)
    with pytest.raises(ConfigError, match=r"already serves this SQLite database.*PostgreSQL"):
        await second.start()
    await second.stop()
    reader = app_on(url)
    await reader.start(start_transports=False)  # a one-off command may still read
    await reader.stop()
    await first.stop()
    again = app_on(url)  # once the first is gone, another may serve
    await again.start()
    await again.stop()

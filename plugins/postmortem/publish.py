"""The built-in publisher: each postmortem as files in a directory, one name per incident."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from chatops import hookimpl
from chatops_plugins.postmortem.config import PostmortemConfig
from chatops_plugins.postmortem.render import EXTENSIONS

if TYPE_CHECKING:
    from chatops.app import App


def _write(directory: Path, incident_ref: str, documents: dict[str, str]) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for format, text in documents.items():
        path = directory / f"{incident_ref}-postmortem.{EXTENSIONS[format]}"
        partial = path.with_suffix(path.suffix + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)  # readers never see half a document
        written.append(str(path))
    return ", ".join(written)


@hookimpl
async def chatops_postmortem_publish(app: App, incident_ref: str, documents: dict[str, str]) -> str | None:
    settings: PostmortemConfig = app.section("postmortem")
    return await asyncio.to_thread(_write, Path(settings.directory), incident_ref, documents)

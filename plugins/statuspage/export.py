"""``chatops statuspage export DIR``: the same page, JSON and feed as static files for any web server."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING

from chatops_plugins.statuspage import views, web

if TYPE_CHECKING:
    from chatops.app import App


def write(directory: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)


class ExportCommand:
    help = "status page tools: export DIR writes the page, its JSON and its feed as static files"

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", choices=["export"])
        parser.add_argument(
            "directory", metavar="DIR", help="where to write index.html, api/v2/…, history.atom"
        )

    async def run(self, app: App, args: argparse.Namespace) -> int:
        config, data, now = await web.gather(app)
        files = {
            "index.html": web.html(config, data, now, feed_url="history.atom"),
            "history.atom": views.atom(config, data, now),
        }
        for name, document in views.documents(config, data, now).items():
            files[f"api/v2/{name}"] = json.dumps(document, indent=2)
        directory = Path(args.directory)
        await asyncio.to_thread(write, directory, files)
        print(f"Wrote {len(files)} files to {directory}")
        return 0

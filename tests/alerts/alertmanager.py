"""The real Prometheus Alertmanager (Debian's package) on loopback, for the end-to-end tests.

Gossip is off (``--cluster.listen-address=``) and the group timings are
short, so an alert posted to its API reaches the webhook in about a second.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from pathlib import Path
from typing import Any

import aiohttp

BINARY = "prometheus-alertmanager"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binary() -> str | None:
    return shutil.which(BINARY) or next(
        (
            p
            for p in ("/usr/bin/prometheus-alertmanager", "/usr/sbin/prometheus-alertmanager")
            if os.path.exists(p)
        ),
        None,
    )


CONFIG = """
global:
  resolve_timeout: 1m
route:
  receiver: chatops
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: chatops
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


class Alertmanager:
    def __init__(self, workdir: Path, webhook_url: str, token: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (workdir / "alertmanager.yml").write_text(CONFIG.format(url=webhook_url, token=token))
        self.process: asyncio.subprocess.Process | None = None
        self.log = open(workdir / "alertmanager.log", "wb")

    async def start(self) -> None:
        path = binary()
        assert path is not None
        self.process = await asyncio.create_subprocess_exec(
            path,
            f"--config.file={self.workdir / 'alertmanager.yml'}",
            f"--storage.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            f"--web.external-url={self.url}",
            "--cluster.listen-address=",
            "--log.level=warn",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self.log,
        )
        async with aiohttp.ClientSession() as session:
            for _ in range(200):  # readiness of another process: ask until it answers (10 s at most)
                try:
                    async with session.get(f"{self.url}/-/ready") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if self.process.returncode is not None:
                    break
                await asyncio.sleep(0.05)
        log = (self.workdir / "alertmanager.log").read_text()
        raise RuntimeError(f"Alertmanager did not become ready:\n{log}")

    async def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.url}/api/v2/alerts", json=alerts) as response,
        ):
            assert response.status == 200, await response.text()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()
        self.log.close()

"""A real Synapse homeserver on loopback for the Matrix tests.

Synapse runs in its own virtualenv (its pins need not match ours, and it is
AGPL: a separate process, never imported): ``$SYNAPSE_PYTHON``, or
``.venv-synapse/`` in the repository, created with pip on first use.  The
config is offline-safe (client API only, no federation, no key servers, no
presence) with every rate limit raised, so a suite does not trip them; a
test that wants them lowers them for one user through the admin API.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-synapse"
_RELAXED = "{per_second: 1000, burst_count: 1000}"
LIMITS = "\n".join(
    f"{key}: {value}"
    for key, value in {
        "rc_message": _RELAXED,
        "rc_registration": _RELAXED,
        "rc_login": f"{{address: {_RELAXED}, account: {_RELAXED}, failed_attempts: {_RELAXED}}}",
        "rc_joins": f"{{local: {_RELAXED}, remote: {_RELAXED}}}",
        "rc_joins_per_room": _RELAXED,
        "rc_invites": f"{{per_room: {_RELAXED}, per_user: {_RELAXED}, per_issuer: {_RELAXED}}}",
        "rc_room_creation": _RELAXED,
        "rc_3pid_validation": _RELAXED,
        "rc_media_create": _RELAXED,
        "rc_profile": _RELAXED,
        "rc_user_directory": _RELAXED,
        "rc_delayed_event_mgmt": _RELAXED,
        "rc_reports": _RELAXED,
    }.items()
)


class SynapseUnavailable(Exception):
    pass


def synapse_python() -> str:
    """An interpreter that can run Synapse, installing it into .venv-synapse if needed."""
    candidates = [os.environ.get("SYNAPSE_PYTHON"), str(VENV / "bin" / "python")]
    for python in filter(None, candidates):
        if Path(python).exists() and _imports_synapse(python):
            return python
    if os.environ.get("CHATOPS_INSTALL_SYNAPSE", "1") == "0":
        raise SynapseUnavailable("matrix-synapse is not installed (set SYNAPSE_PYTHON or allow the install)")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True)
    install = subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", "matrix-synapse>=1.100"], capture_output=True, text=True
    )
    python = str(VENV / "bin" / "python")
    if install.returncode != 0 or not _imports_synapse(python):
        raise SynapseUnavailable(f"installing matrix-synapse failed: {install.stderr[-1500:]}")
    return python


def _imports_synapse(python: str) -> bool:
    check = subprocess.run([python, "-c", "import synapse.app.homeserver"], capture_output=True)
    return check.returncode == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Synapse:
    """One homeserver: ``start``, ``stop`` (and start again on the same port and data)."""

    server_name = "localhost"

    def __init__(self, python: str) -> None:
        self.python = python
        self.work = Path(tempfile.mkdtemp(prefix="chatops-synapse-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.shared_secret = secrets.token_hex(24)
        self.config = self.work / "homeserver.yaml"
        self.process: subprocess.Popen[bytes] | None = None
        self._write_config()

    def _write_config(self) -> None:
        w = self.work
        self.config.write_text(
            f"""
server_name: {self.server_name}
public_baseurl: {self.url}/
pid_file: {w}/homeserver.pid
listeners:
  - {{port: {self.port}, bind_addresses: ['127.0.0.1'], type: http, tls: false,
      resources: [{{names: [client], compress: false}}]}}
database: {{name: sqlite3, args: {{database: {w}/homeserver.db}}}}
log_config: {w}/log.yaml
media_store_path: {w}/media
signing_key_path: {w}/signing.key
registration_shared_secret: "{self.shared_secret}"
macaroon_secret_key: "{secrets.token_hex(24)}"
form_secret: "{secrets.token_hex(24)}"
report_stats: false
enable_metrics: false
url_preview_enabled: false
federation_domain_whitelist: []
trusted_key_servers: []
suppress_key_server_warning: true
presence: {{enabled: false}}
bcrypt_rounds: 4
{LIMITS}
""",
            encoding="utf-8",
        )
        (w / "log.yaml").write_text(
            f"""version: 1
formatters: {{precise: {{format: '%(asctime)s %(name)s %(levelname)s %(message)s'}}}}
handlers: {{file: {{class: logging.FileHandler, formatter: precise, filename: {w}/homeserver.log}}}}
root: {{level: WARNING, handlers: [file]}}
disable_existing_loggers: false
""",
            encoding="utf-8",
        )
        subprocess.run(
            [
                self.python,
                "-m",
                "synapse.app.homeserver",
                "-c",
                str(self.config),
                "--generate-missing-configs",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        log = open(self.work / "stdout.log", "ab")
        self.process = subprocess.Popen(
            [self.python, "-m", "synapse.app.homeserver", "-c", str(self.config)], stdout=log, stderr=log
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1).read()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    tail = (self.work / "stdout.log").read_text(errors="replace")[-2000:]
                    raise SynapseUnavailable(f"Synapse did not start: {tail}") from None
                time.sleep(0.1)  # polling a process we started; nothing to await

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    async def register(self, localpart: str, password: str, admin: bool = False) -> dict[str, str]:
        """Shared-secret registration (what register_new_matrix_user does)."""
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        async with aiohttp.ClientSession() as session:
            async with session.get(endpoint) as response:
                nonce = (await response.json())["nonce"]
            mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
            mac.update(
                b"\x00".join(
                    p.encode() for p in (nonce, localpart, password, "admin" if admin else "notadmin")
                )
            )
            body = {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            }
            async with session.post(endpoint, json=body) as response:
                data = await response.json()
                if response.status != 200:
                    raise RuntimeError(f"registering {localpart}: {response.status} {data}")
                return dict(data)

    async def limit_messages(self, admin_token: str, user_id: str, per_second: float, burst: int) -> None:
        """Give one user real message rate limits (the suite's config relaxes everyone's)."""
        endpoint = f"{self.url}/_synapse/admin/v1/users/{user_id}/override_ratelimit"
        async with aiohttp.ClientSession() as session:
            async with session.post(
                endpoint,
                json={"messages_per_second": per_second, "burst_count": burst},
                headers={"Authorization": f"Bearer {admin_token}"},
            ) as response:
                if response.status != 200:
                    raise RuntimeError(f"override_ratelimit: {response.status} {await response.text()}")

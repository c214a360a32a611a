"""The built-in mitigations: the webhooks and local commands allowlisted in config.

A command runs without a shell, its arguments a list; on timeout its whole
process group is killed, so nothing it started keeps acting.  A webhook's
headers are secrets: they are sent, never shown or logged.
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from chatops_plugins.mitigate.api import Mitigation, MitigationFailed, MitigationRequest, Value
from chatops_plugins.mitigate.config import PLACEHOLDER, ActionConfig, MitigationsConfig, WebhookConfig

SHOWN = 300  # characters of a command's output or a webhook's answer shown in the room


def from_config(settings: MitigationsConfig) -> list[Mitigation]:
    return [_mitigation(name, action) for name, action in settings.actions.items()]


def _mitigation(name: str, action: ActionConfig) -> Mitigation:
    if action.command is not None:
        argv = list(action.command)

        async def run(request: MitigationRequest) -> str:
            return await run_command([fill(part, request.args) for part in argv])

    else:
        webhook = action.webhook
        assert webhook is not None

        async def run(request: MitigationRequest) -> str:
            return await call_webhook(name, webhook, request)

    return Mitigation(
        name=name,
        help=action.help,
        run=run,
        params=tuple(p.param(n) for n, p in action.params.items()),
        allowed=tuple(action.roles),
        timeout_s=action.timeout_s,
        services=tuple(action.services),
    )


def fill(template: str, args: dict[str, Value], escape: Any = str) -> str:
    """``{param}`` replaced by its validated value; nothing else is interpreted."""
    return PLACEHOLDER.sub(lambda m: escape(str(args[m.group(1)])), template)


def _fill_json(value: Any, args: dict[str, Value]) -> Any:
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        return args[whole.group(1)] if whole else fill(value, args)  # "{replicas}" stays a number
    if isinstance(value, dict):
        return {k: _fill_json(v, args) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_json(v, args) for v in value]
    return value


def _tail(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN else "…" + text[-SHOWN:]


async def run_command(argv: list[str]) -> str:
    """Run ``argv`` (no shell); its exit status decides, its last output is the result."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed whole on timeout
        )
    except OSError as exc:
        raise MitigationFailed(f"could not start {argv[0]}: {exc.strerror or exc}") from None
    try:
        output, _ = await process.communicate()
    except asyncio.CancelledError:
        _kill_group(process.pid)
        await process.wait()
        raise
    said = _tail(output.decode(errors="replace"))
    if process.returncode != 0:
        raise MitigationFailed(f"exit status {process.returncode}" + (f": {said}" if said else ""))
    return "done" + (f": {said}" if said else "")


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


async def call_webhook(name: str, webhook: WebhookConfig, request: MitigationRequest) -> str:
    """Send the request; a 2xx answer is success, anything else a failure with its status."""
    if webhook.body is None:
        body: Any = {
            "mitigation": name,
            "run": request.run_id,
            "incident": request.incident_ref,
            "args": request.args,
            "requested_by": request.requested_by.name,
            "confirmed_by": request.confirmed_by.name,
        }
    else:
        body = _fill_json(webhook.body, request.args)
    url = fill(webhook.url, request.args, escape=lambda s: quote(s, safe=""))
    headers = {k: v.get_secret_value() for k, v in webhook.headers.items()}
    try:
        async with aiohttp.ClientSession() as session:
            async with session.request(
                webhook.method, url, json=None if webhook.method == "GET" else body, headers=headers
            ) as answer:
                text = _tail(await answer.text(errors="replace"))
                if answer.status >= 300:
                    raise MitigationFailed(f"HTTP {answer.status}" + (f": {text}" if text else ""))
                return f"HTTP {answer.status}" + (f": {text}" if text else "")
    except aiohttp.ClientError as exc:
        raise MitigationFailed(f"could not reach {URL(url).host}: {type(exc).__name__}") from None

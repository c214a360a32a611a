"""The bot's login and device: credentials on disk, the same device on every start.

A new device per start would lose every room key the bot holds and pile up
devices on the account, so the first password login's access token and
device id are kept (``store_path/credentials.json``, mode 0600) and restored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from nio import AsyncClient, ErrorResponse, LoginResponse, WhoamiResponse

from chatops.transports.base import TransportError
from chatops.transports.matrix import crypto
from chatops.transports.matrix.config import MatrixConfig

log = logging.getLogger("chatops.matrix")


class MatrixError(TransportError):
    """The homeserver refused a request; the message names the call and the reason."""


def check(response: Any, what: str) -> Any:
    if isinstance(response, ErrorResponse):
        raise MatrixError(f"{what}: {response.status_code or ''} {response.message}".strip())
    return response


async def login(client: AsyncClient, settings: MatrixConfig) -> None:
    """Access token from config, else the remembered device, else a password login (remembered)."""
    stored = await asyncio.to_thread(_read_credentials, settings)
    patient = client.config
    client.config = replace(patient, max_timeouts=3)  # fail fast if the homeserver is unreachable
    try:
        if settings.access_token is not None:
            token = settings.access_token.get_secret_value()
            device = settings.device_id or (stored or {}).get("device_id")
            if not device:
                client.access_token = token
                device = check(await client.whoami(), "checking the access token").device_id
            if not device:
                raise MatrixError("the access token has no device: set transports.matrix.device_id")
            await _restore(client, settings, device, token)
            check(await client.whoami(), "checking the access token")
            return
        if stored is not None:
            await _restore(client, settings, stored["device_id"], stored["access_token"])
            if isinstance(await client.whoami(), WhoamiResponse):
                return
            log.warning("stored Matrix login expired; logging in again")
        assert settings.password is not None
        response = await client.login(settings.password.get_secret_value(), device_name=settings.device_name)
        if not isinstance(response, LoginResponse):
            raise MatrixError(f"logging in as {settings.user_id} failed: {response.message}")
        await asyncio.to_thread(_write_credentials, settings, response.device_id, response.access_token)
    except (OSError, TimeoutError) as exc:
        raise MatrixError(f"cannot reach the homeserver {settings.homeserver}: {exc}") from None
    finally:
        client.config = patient


async def _restore(client: AsyncClient, settings: MatrixConfig, device_id: str, token: str) -> None:
    """Resume a device (and, with encryption, its crypto store)."""
    if settings.encryption:
        await asyncio.to_thread(crypto.check_store, settings, device_id)
    client.restore_login(settings.user_id, device_id, token)


def _credentials_file(settings: MatrixConfig) -> Path:
    return Path(settings.store_path) / "credentials.json"


def _read_credentials(settings: MatrixConfig) -> dict[str, str] | None:
    try:
        data = json.loads(_credentials_file(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("user_id") != settings.user_id or data.get("homeserver") != settings.homeserver:
        return None
    return data


def _write_credentials(settings: MatrixConfig, device_id: str, access_token: str) -> None:
    path = _credentials_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "homeserver": settings.homeserver,
        "user_id": settings.user_id,
        "device_id": device_id,
        "access_token": access_token,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle)

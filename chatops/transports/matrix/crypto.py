"""End-to-end encryption for the Matrix transport: store, keys, trust, undecryptable events.

matrix-nio does the cryptography (vodozemac).  What chatops adds is the
policy around it: refuse to run when encryption is configured but inactive
(nio would otherwise post plaintext into encrypted rooms), detect a lost
store, share keys by the configured trust rule, and keep undecryptable
events until their keys arrive.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nio import AsyncClient, AsyncClientConfig, MegolmEvent

from chatops.transports.base import TransportError
from chatops.transports.matrix.config import MatrixConfig

log = logging.getLogger("chatops.matrix")


class CryptoError(TransportError):
    pass


def client_config(settings: MatrixConfig) -> AsyncClientConfig:
    base: dict[str, Any] = {
        "max_limit_exceeded": None,
        "max_timeouts": None,
        "max_timeout_retry_wait_time": settings.reconnect_max_wait_s,
    }
    if not settings.encryption:
        return AsyncClientConfig(**base)
    from nio.crypto import ENCRYPTION_ENABLED
    from nio.store import SqliteStore

    if not ENCRYPTION_ENABLED:
        raise CryptoError(
            "encryption is configured but matrix-nio's crypto support is missing: "
            "pip install 'chatops[matrix]' (it pulls matrix-nio[e2e]), or set encryption: false"
        )
    assert settings.pickle_key is not None
    return AsyncClientConfig(
        **base,
        store=SqliteStore,
        encryption_enabled=True,
        store_sync_tokens=False,  # chatops keeps its own cursor
        pickle_key=settings.pickle_key.get_secret_value(),
    )


def _marker(settings: MatrixConfig) -> Path:
    return Path(settings.store_path) / "crypto-device"


def check_store(settings: MatrixConfig, device_id: str) -> None:
    """Refuse to start on a device whose crypto store has gone (its keys are lost with it)."""
    store = Path(settings.store_path)
    marker = _marker(settings)
    if not marker.exists() or marker.read_text(encoding="utf-8").strip() != device_id:
        return
    if not (store / f"{settings.user_id}_{device_id}.db").exists():
        raise CryptoError(
            f"the crypto store of device {device_id} is missing from {store}: without it the bot cannot "
            "read encrypted rooms. Restore the store from backup, or start a new device: delete "
            f"{store / 'credentials.json'} and {marker} (old encrypted messages stay unreadable; import "
            "exported room keys to recover them — see docs/deploy-matrix.md)"
        )


def mark_store(settings: MatrixConfig, device_id: str) -> None:
    marker = _marker(settings)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(device_id, encoding="utf-8")


def ensure_active(client: AsyncClient, settings: MatrixConfig) -> None:
    if settings.encryption and client.olm is None:
        raise CryptoError(
            f"encryption is configured but did not start (crypto store in {settings.store_path}): "
            "refusing to run rather than post plaintext into encrypted rooms"
        )


async def housekeeping(client: AsyncClient) -> None:
    """What nio's sync_forever does between syncs: keys up, keys queried and claimed, to-device out."""
    if client.olm is None:
        return
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    await client.send_to_device_messages()


def share_keys_unverified(client: AsyncClient, room_id: str, settings: MatrixConfig) -> bool:
    """Apply the trust policy to the room's devices; True when keys go to unverified devices too.

    ``tofu``: every device of every member gets the room key (nobody is marked
    verified).  ``allowlist``: devices of ``trusted_users`` are verified, all
    others blacklisted, so only trusted people can read what the bot says.
    """
    if settings.trust == "tofu" or client.olm is None:
        return True
    room = client.rooms.get(room_id)
    if room is None or not room.encrypted:
        return True
    for user_id in room.users:
        for device in client.device_store.active_user_devices(user_id):
            if user_id in settings.trusted_users or user_id == client.user_id:
                if not device.verified:
                    client.verify_device(device)
            elif not device.blacklisted:
                client.blacklist_device(device)
    return False


@dataclass
class Undecryptable:
    """Encrypted events we could not read yet, kept (bounded) until their keys arrive."""

    limit: int = 1000
    pending: OrderedDict[str, tuple[str, MegolmEvent]] = field(default_factory=OrderedDict)
    reported: set[str] = field(default_factory=set)

    def add(self, room_id: str, event: MegolmEvent) -> bool:
        """Keep the event; True the first time its session is seen (report it once)."""
        self.pending[event.event_id] = (room_id, event)
        while len(self.pending) > self.limit:
            self.pending.popitem(last=False)
        first = event.session_id not in self.reported
        self.reported.add(event.session_id)
        return first

    def retry(self, client: AsyncClient) -> list[tuple[str, Any]]:
        """Events that decrypt now (their keys arrived), removed from the pending set."""
        readable: list[tuple[str, Any]] = []
        for event_id, (room_id, event) in list(self.pending.items()):
            try:
                decrypted = client.decrypt_event(event)
            except Exception:  # still no key for this session
                continue
            if not isinstance(decrypted, MegolmEvent):
                readable.append((room_id, decrypted))
                del self.pending[event_id]
        return readable

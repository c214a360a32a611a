"""What every authenticated endpoint on the app's web server needs, in one place.

The alert receivers, ``/metrics`` and the HTTP API all take bearer tokens and
bounded bodies.  Comparing a token is easy to get subtly wrong (timing, a
header with bytes that are not UTF-8, stopping at the first match and so
telling which token was close), so it is done here once and each endpoint
only says which tokens it accepts.  Nothing here logs a header or a token.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from aiohttp import web
from pydantic import SecretStr


def problem(status: int, reason: str, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON error answer, ``{"error": reason}``: what senders log and people read."""
    return web.json_response({"error": reason}, status=status, headers=headers)


def raw_header(value: str) -> bytes:
    """A header's bytes as received (aiohttp keeps undecodable bytes as surrogates)."""
    return value.encode("utf-8", errors="surrogateescape")


def bearer_matches(request: web.Request, token: SecretStr) -> bool:
    """Whether the request carries ``Authorization: Bearer <token>``, compared in constant time.

    The scheme is case-insensitive (RFC 7235: ``bearer`` is as good as ``Bearer``); the token is not.
    """
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    matches = hmac.compare_digest(raw_header(given), token.get_secret_value().encode())
    return matches and scheme.lower() == "bearer"


def bearer_owner(request: web.Request, tokens: Mapping[str, SecretStr]) -> str | None:
    """The name whose token the request carries, or None.

    Every token is compared (no early exit), so the time taken does not say
    which one, or how many, came close.
    """
    found: str | None = None
    for name, token in tokens.items():
        if bearer_matches(request, token) and found is None:
            found = name
    return found


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is longer than ``limit`` bytes (read no further than that)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks, size = [], 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)

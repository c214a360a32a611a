"""What the on-call providers share: one bounded HTTP GET, with errors a person can act on."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from chatops_plugins.oncall.people import ProviderError

MAX_BYTES = 5 * 1024 * 1024  # a roster or a calendar is far smaller; a runaway reply is refused


async def get_text(
    provider: str,
    url: str,
    headers: dict[str, str],
    timeout_s: float,
    *,
    where: str | None = None,
    **params: Any,
) -> str:
    """GET ``url``; every failure becomes a ProviderError naming ``provider``.

    Messages name ``where`` instead of the URL when given (a private calendar
    link is a secret).
    """
    shown = where or url.split("?")[0]
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session,
            session.get(url, headers=headers, params=params) as response,
        ):
            if response.status in (401, 403):
                raise ProviderError(
                    f"{provider} refused the token ({response.status}); check its token in the config"
                )
            if response.status >= 400:
                raise ProviderError(f"{provider} answered {response.status} for {shown}")
            body = await response.content.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise ProviderError(f"{provider} answered with more than {MAX_BYTES // 2**20} MiB")
            try:
                return body.decode(response.charset or "utf-8", errors="replace")
            except LookupError:  # a charset Python does not know: read it as UTF-8
                return body.decode("utf-8", errors="replace")
    except TimeoutError:
        raise ProviderError(f"{provider} did not answer within {timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise ProviderError(f"{provider} could not be reached ({exc.__class__.__name__})") from None


async def get_json(provider: str, url: str, headers: dict[str, str], timeout_s: float, **params: Any) -> Any:
    """GET ``url`` and decode its JSON; every failure becomes a ProviderError naming ``provider``."""
    text = await get_text(provider, url, headers, timeout_s, **params)
    try:
        return json.loads(text)
    except ValueError:
        raise ProviderError(f"{provider} answered with something that is not JSON") from None


def dig(document: Any, path: str) -> Any:
    """``data.primary.email`` in a JSON document (list indexes allowed: ``oncalls.0.user``)."""
    found = document
    for part in path.split("."):
        if isinstance(found, list) and part.isdigit() and int(part) < len(found):
            found = found[int(part)]
        elif isinstance(found, dict) and part in found:
            found = found[part]
        else:
            return None
    return found


__all__ = ["ProviderError", "dig", "get_json", "get_text"]

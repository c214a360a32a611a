"""``/notify/ack/<token>``: acknowledging a page from an e-mail, a phone or a push notification.

GET shows what the link acknowledges, with one button; POST acknowledges.
Mail scanners and link previews fetch every GET, so a GET never changes
anything.  The push notification's Acknowledge action POSTs directly.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from chatops.web import APP_KEY
from chatops_plugins.notify import links

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font:1.1rem/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem}}
button{{font-size:1.2rem;padding:.8rem 1.6rem}}</style></head>
<body><h1>{title}</h1><p>{text}</p>{form}</body></html>
"""


def _html(status: int, title: str, text: str, form: str = "") -> web.Response:
    body = PAGE.format(title=escape(title), text=escape(text), form=form)
    return web.Response(
        status=status, text=body, content_type="text/html", headers={"Cache-Control": "no-store"}
    )


async def show(request: web.Request) -> web.Response:
    outcome = await links.look(request.app[APP_KEY], request.match_info["token"])
    if outcome.status != 200:
        return _html(outcome.status, "Cannot acknowledge", outcome.text)
    assert outcome.page is not None
    form = '<form method="post"><button type="submit">Acknowledge</button></form>'
    return _html(200, f"{outcome.page.ref}: {outcome.page.message}", outcome.text, form)


async def acknowledge(request: web.Request) -> web.Response:
    outcome = await links.use(request.app[APP_KEY], request.match_info["token"])
    title = "Acknowledged" if outcome.status == 200 else "Cannot acknowledge"
    return _html(outcome.status, title, outcome.text)


def routes() -> list[web.AbstractRouteDef]:
    return [web.get("/notify/ack/{token}", show), web.post("/notify/ack/{token}", acknowledge)]

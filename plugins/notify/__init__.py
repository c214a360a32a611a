"""Built-in plugin ``notify``: pages reach people by e-mail, push (ntfy), SMS and phone calls.

Each channel is a ``chatops_notification_channels`` channel that stores its
message as a core delivery (``chatops_delivery_kinds``) in the page's
transaction; the person's rules (``oncall.people.<key>.notify``) say which
channel goes when.  Acknowledge links, signed and single-use, are served
under ``/notify/ack/``; replies to an SMS or a call, under ``/notify/twilio/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from chatops import CommandGroup, hookimpl
from chatops.app import App
from chatops.state import per_app
from chatops_plugins.notify import commands, twilio_webhook, web
from chatops_plugins.notify.channel import Channel
from chatops_plugins.notify.config import NotifyConfig
from chatops_plugins.notify.email import EmailChannel
from chatops_plugins.notify.push import PushChannel
from chatops_plugins.notify.sms import SmsChannel, VoiceChannel


def _channels(app: App) -> dict[str, Channel]:
    config: NotifyConfig = app.section("notify")
    found: list[Channel] = []
    if config.smtp is not None:
        found.append(EmailChannel(app, config.smtp))
    if config.ntfy is not None:
        found.append(PushChannel(app, config.ntfy))
    if config.twilio is not None:
        found += [SmsChannel(app, config.twilio), VoiceChannel(app, config.twilio)]
    return {c.name: c for c in found}


channels_of = per_app(_channels)


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"notify": NotifyConfig}


@hookimpl
def chatops_migration_locations() -> list[str]:
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def chatops_notification_channels(app: App) -> dict[str, Any]:
    return dict(channels_of(app))


@hookimpl
def chatops_delivery_kinds(app: App) -> dict[str, Any]:
    return {c.kind: c for c in channels_of(app).values()}


@hookimpl
def chatops_web_routes(app: App) -> list[Any]:
    config: NotifyConfig = app.section("notify")
    twilio = twilio_webhook.routes() if config.twilio is not None else []
    return web.routes() + twilio


@hookimpl
def chatops_commands() -> list[CommandGroup]:
    return [commands.group]

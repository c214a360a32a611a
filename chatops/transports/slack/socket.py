"""Socket Mode: Slack pushes envelopes over a websocket the bot opens (no public URL needed).

Each envelope is acknowledged before anything else happens, well within
Slack's 3 seconds; slack-sdk reconnects on its own when the socket drops or
Slack asks it to move.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

if TYPE_CHECKING:
    from chatops.transports.slack.transport import SlackTransport

log = logging.getLogger("chatops.slack")


class SocketReceiver:
    def __init__(self, transport: SlackTransport, web_client: AsyncWebClient) -> None:
        assert transport.settings.app_token is not None
        self.transport = transport
        self.client = SocketModeClient(
            app_token=transport.settings.app_token.get_secret_value(),
            web_client=web_client,
            logger=logging.getLogger("chatops.slack.socket"),
        )
        self.client.socket_mode_request_listeners.append(self._on_request)

    async def start(self) -> None:
        await self.client.connect()

    async def stop(self) -> None:
        await self.client.close()

    async def _on_request(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        # accept() only schedules the handling: the ack below goes out before any of it runs
        self.transport.accept(request.type, request.payload)
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

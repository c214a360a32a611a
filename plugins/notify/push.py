"""The ``push`` channel: an urgent ntfy notification with an Acknowledge button.

ntfy's JSON publishing API: priority 5 (urgent) rings through Do Not Disturb
on the phone, and the ``http`` action POSTs the acknowledge link when tapped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp

from chatops.deliveries import DeliveryError
from chatops_plugins.notify.channel import Channel, Notification
from chatops_plugins.notify.config import NtfyConfig
from chatops_plugins.oncall.config import PersonConfig

if TYPE_CHECKING:
    from chatops.app import App


class PushChannel(Channel):
    name = "push"
    wants = "ntfy topic (oncall.people.<key>.ntfy_topic)"

    def __init__(self, app: App, ntfy: NtfyConfig) -> None:
        super().__init__(app)
        self.ntfy = ntfy

    def address(self, person: PersonConfig) -> str | None:
        return person.ntfy_topic

    def body(self, notification: Notification) -> dict[str, Any]:
        body: dict[str, Any] = {
            "topic": notification.to,
            "title": f"Paged: {notification.page_ref}" + (" (test)" if notification.test else ""),
            "message": f"{notification.headline}\n{notification.how_to_ack}",
            "priority": 3 if notification.test else 5,
            "tags": ["rotating_light"],
        }
        if notification.link:
            body["actions"] = [
                {
                    "action": "http",
                    "label": "Acknowledge",
                    "url": notification.link,
                    "method": "POST",
                    "clear": True,
                }
            ]
        return body

    async def send(self, notification: Notification, delivery_id: str) -> None:
        headers = {"X-Chatops-Delivery": delivery_id}
        if self.ntfy.token is not None:
            headers["Authorization"] = f"Bearer {self.ntfy.token.get_secret_value()}"
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
                async with http.post(
                    self.ntfy.url.rstrip("/"), json=self.body(notification), headers=headers
                ) as answer:
                    if answer.status >= 300:
                        raise DeliveryError(f"ntfy answered HTTP {answer.status}")
        except aiohttp.ClientError as exc:
            raise DeliveryError(f"could not reach ntfy ({type(exc).__name__})") from None

"""The ``email`` channel: one message over SMTP (STARTTLS, implicit TLS, or a local relay)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING

import aiosmtplib

from chatops.deliveries import DeliveryError
from chatops_plugins.notify.channel import Channel, Notification
from chatops_plugins.notify.config import SmtpConfig
from chatops_plugins.oncall.config import PersonConfig

if TYPE_CHECKING:
    from chatops.app import App


class EmailChannel(Channel):
    name = "email"
    wants = "e-mail address (oncall.people.<key>.email)"

    def __init__(self, app: App, smtp: SmtpConfig) -> None:
        super().__init__(app)
        self.smtp = smtp

    def address(self, person: PersonConfig) -> str | None:
        return person.email

    def message(self, notification: Notification, delivery_id: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.smtp.sender
        message["To"] = notification.to
        subject = " ".join(f"Paged: {notification.headline}".split())  # a header is one line
        message["Subject"] = ("[test] " if notification.test else "") + subject
        message["Message-ID"] = make_msgid(idstring=delivery_id.replace(":", "."))
        message["X-Chatops-Page"] = notification.page_ref
        body = [f"You are paged: {notification.headline}", "", notification.how_to_ack]
        message.set_content("\n".join(body) + "\n")
        return message

    async def send(self, notification: Notification, delivery_id: str) -> None:
        smtp = self.smtp
        password = smtp.password.get_secret_value() if smtp.password else None
        try:
            await aiosmtplib.send(
                self.message(notification, delivery_id),
                hostname=smtp.host,
                port=smtp.port,
                use_tls=smtp.security == "tls",
                start_tls=True if smtp.security == "starttls" else False,
                username=smtp.username,
                password=password,
                timeout=smtp.timeout_s,
                cert_bundle=smtp.ca_file,
            )
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"the mail server answered {exc.code}: {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"could not reach the mail server {smtp.host}:{smtp.port} ({type(exc).__name__})"
            ) from None

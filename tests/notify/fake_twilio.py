"""A local stand-in for Twilio's REST API: ``Messages.json`` and ``Calls.json`` on 127.0.0.1.

It speaks the documented wire format: a form-encoded POST to
``/2010-04-01/Accounts/{AccountSid}/{Messages,Calls}.json`` with HTTP Basic
auth (AccountSid:AuthToken), answered 201 with the new resource as JSON (its
``sid``), or with Twilio's error shape ``{"code", "message", "more_info",
"status"}``.  Every request is recorded, accepted or not; ``fail`` makes the
next ones fail the way Twilio (or a proxy in front of it) would.
"""

from __future__ import annotations

import base64
import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

E164 = re.compile(r"\+[1-9][0-9]{7,14}")


@dataclass(frozen=True)
class Received:
    resource: str  # "Messages" or "Calls"
    account: str  # the AccountSid in the path
    form: dict[str, str]
    authorization: str | None  # the header as sent
    status: int  # what the fake answered


def twilio_error(status: int, code: int, message: str) -> web.Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status)


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.received: list[Received] = []
        self._failures: dict[str, list[web.Response]] = {"Messages": [], "Calls": []}
        self._ids = itertools.count(1)
        self._server: TestServer | None = None

    # --- control ---

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/{resource}.json", self._create)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self.url

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("")).rstrip("/")

    def fail(
        self,
        resource: str,
        status: int = 500,
        *,
        code: int | None = None,
        message: str = "",
        times: int = 1,
    ) -> None:
        """The next ``times`` requests to ``resource`` fail: Twilio's error JSON with a code, else plain text."""
        for _ in range(times):
            if code is None:
                answer = web.Response(status=status, text="upstream went away")
            else:
                answer = twilio_error(status, code, message)
            self._failures[resource].append(answer)

    def accepted(self, resource: str) -> list[Received]:
        return [r for r in self.received if r.resource == resource and r.status == 201]

    @property
    def messages(self) -> list[Received]:
        return self.accepted("Messages")

    @property
    def calls(self) -> list[Received]:
        return self.accepted("Calls")

    def expected_authorization(self) -> str:
        pair = f"{self.account_sid}:{self.auth_token}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    # --- the API ---

    async def _create(self, request: web.Request) -> web.Response:
        resource, account = request.match_info["resource"], request.match_info["account"]
        form = {name: value for name, value in (await request.post()).items() if isinstance(value, str)}
        authorization = request.headers.get("Authorization")
        answer = self._answer(request, resource, account, form, authorization)
        self.received.append(Received(resource, account, form, authorization, answer.status))
        return answer

    def _answer(
        self, request: web.Request, resource: str, account: str, form: dict[str, str], authorization: Any
    ) -> web.Response:
        if resource not in self._failures:
            return twilio_error(404, 20404, "The requested resource was not found")
        if request.content_type != "application/x-www-form-urlencoded":
            return twilio_error(400, 20001, "Expected a form-encoded body")
        if authorization != self.expected_authorization() or account != self.account_sid:
            return twilio_error(401, 20003, "Authenticate")
        if self._failures[resource]:
            return self._failures[resource].pop(0)
        for field, code in (("To", 21211), ("From", 21212)):
            if not E164.fullmatch(form.get(field, "")):
                return twilio_error(400, code, f"The '{field}' number {form.get(field)} is not valid.")
        if resource == "Messages":
            if not form.get("Body"):
                return twilio_error(400, 21602, "Message body is required.")
            prefix, extra = "SM", {"body": form["Body"]}
        else:
            if "Twiml" not in form and "Url" not in form:
                return twilio_error(400, 21205, "Url parameter is required.")
            if "Twiml" in form:
                try:
                    ET.fromstring(form["Twiml"])
                except ET.ParseError as exc:
                    return twilio_error(400, 12100, f"Document parse failure: {exc}")
            prefix, extra = "CA", {}
        sid = f"{prefix}{next(self._ids):032x}"
        body = {
            "sid": sid,
            "account_sid": account,
            "to": form["To"],
            "from": form["From"],
            "status": "queued",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account}/{resource}/{sid}.json",
            **extra,
        }
        return web.json_response(body, status=201)

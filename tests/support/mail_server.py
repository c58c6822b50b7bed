"""A real SMTP server for the tests (aiosmtpd), on the test session's own event loop.

It requires nothing but accepts AUTH with the credentials in its URL, refuses every
recipient at `nedlagd.example.se` for good, and can be stopped and started again on the
same port to play a mail server that is down.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.processes import free_port

USER = "workcloud"
PASSWORD = "mail-secret"
REFUSED_DOMAIN = "nedlagd.example.se"


@dataclass
class ReceivedMail:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage
    authenticated_as: str | None

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        assert body is not None
        content: str = body.get_content()  # type: ignore[attr-defined]
        return content.replace("\r\n", "\n")


def _authenticate(
    _server: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, auth_data=data)


class MailServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[ReceivedMail] = []
        self._server: asyncio.Server | None = None
        self._arrived = asyncio.Condition()

    @property
    def url(self) -> str:
        return f"smtp://{USER}:{PASSWORD}@127.0.0.1:{self.port}"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(
                self,
                hostname="mail.test",
                authenticator=_authenticate,
                auth_require_tls=False,
                loop=loop,
            ),
            "127.0.0.1",
            self.port,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def handle_RCPT(
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, _options: Any
    ) -> str:
        if address.lower().endswith("@" + REFUSED_DOMAIN):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.login.decode() if session.authenticated else None
        async with self._arrived:
            self.received.append(
                ReceivedMail(envelope.mail_from or "", list(envelope.rcpt_tos), message, login)
            )
            self._arrived.notify_all()
        return "250 Message accepted"

    def to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.received if address.lower() in (a.lower() for a in m.envelope_to)]

    async def wait_for(
        self, address: str, count: int = 1, timeout: float = 10
    ) -> list[ReceivedMail]:
        """The mail to `address` once at least `count` have arrived."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.to(address)) >= count)
        return self.to(address)

"""E-mail over SMTP (aiosmtplib), configured by one URL: smtp://user:pass@host:port.

`smtp://` upgrades with STARTTLS when the server offers it (port 25 by default);
`smtps://` speaks TLS from the first byte (port 465 by default).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib

from db.models import OutboxMessage
from domain.outbox import REPLY_TOKEN_HEADER
from domain.reply_addresses import reply_address
from messaging.mail_attachments import MailAttachments, MailPart
from messaging.transport import PermanentFailure, TemporaryFailure

# A MIME type's or subtype's name (RFC 2045 token).
_TOKEN = re.compile(r"[A-Za-z0-9!#$&^_.+-]+")

# Set by the transport itself; a queued row cannot override them.
_OWN_HEADERS = {"from", "to", "subject", "date", "cc", "bcc", REPLY_TOKEN_HEADER.lower()}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    use_tls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("WORKCLOUD_SMTP_URL must look like smtp://user:pass@host:port")
        use_tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if use_tls else 25),
            use_tls=use_tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def compose(
    message: OutboxMessage, mail_from: str, reply_domain: str, parts: Sequence[MailPart] = ()
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = mail_from
    mail["To"] = message.recipient
    mail["Subject"] = message.subject or ""
    mail["Date"] = formatdate(message.created_at.timestamp(), localtime=False)
    for name, value in message.headers.items():
        if name.lower() not in _OWN_HEADERS:
            mail[name] = value
    domain = mail_from.rpartition("@")[2]
    token = message.headers.get(REPLY_TOKEN_HEADER)
    if token is not None:
        domain = reply_domain
        mail["Reply-To"] = reply_address(token, reply_domain)
        # Every mail about one case threads together in the customer's mail client.
        thread = f"<case.{token[:12]}@{reply_domain}>"
        mail["References"] = thread
        mail["In-Reply-To"] = thread
    if "Message-ID" not in mail:
        mail["Message-ID"] = make_msgid(f"outbox-{message.id}", domain)
    mail.set_content(message.body)
    for part in parts:
        maintype, subtype = _mime_type(part.content_type)
        mail.add_attachment(
            part.content, maintype=maintype, subtype=subtype, filename=part.filename
        )
    return mail


def _mime_type(content_type: str) -> tuple[str, str]:
    """The type and subtype of a file's content type as sent; octet-stream when it is none."""
    maintype, slash, subtype = content_type.partition(";")[0].strip().lower().partition("/")
    if not slash or not _TOKEN.fullmatch(maintype) or not _TOKEN.fullmatch(subtype):
        return "application", "octet-stream"
    return maintype, subtype


def _refused(code: int) -> bool:
    return 500 <= code < 600


class SmtpTransport:
    def __init__(
        self,
        url: str,
        *,
        mail_from: str,
        reply_domain: str,
        timeout: float,
        attachments: MailAttachments | None = None,
    ) -> None:
        self.server = SmtpServer.from_url(url)
        self.mail_from = mail_from
        self.reply_domain = reply_domain
        self.timeout = timeout
        # Where a customer message's files are read from; without it, mail carries none.
        self.attachments = attachments

    async def deliver(self, message: OutboxMessage) -> None:
        server = self.server
        parts = await self.attachments.of(message) if self.attachments is not None else []
        try:
            mail = compose(message, self.mail_from, self.reply_domain, parts)
            await aiosmtplib.send(
                mail,
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.use_tls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [r.code for r in error.recipients]
            reason = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in error.recipients)
            if all(_refused(c) for c in codes):
                raise PermanentFailure(f"recipient refused: {reason}") from error
            raise TemporaryFailure(f"recipient deferred: {reason}") from error
        except (aiosmtplib.SMTPDataError, aiosmtplib.SMTPRecipientRefused) as error:
            failure = PermanentFailure if _refused(error.code) else TemporaryFailure
            raise failure(f"message refused: {error.code} {error.message}") from error
        except ValueError as error:
            # An address or header that cannot be put into a mail at all.
            raise PermanentFailure(f"cannot be sent: {error}") from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error

    async def close(self) -> None:
        # A connection per delivery: nothing is kept open between them.
        return None

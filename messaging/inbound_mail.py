"""A customer's e-mail reply: reading who it is to and from, what they wrote and the files
they attached, and threading it into the conversation of the case its reply address names.

What they wrote is the reply without the quoted history that mail clients append: from
an attribution line ("On ... wrote:", "Den ... skrev ...:", Outlook's header block or
"Original Message" rule) on, and every line starting with ">".
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import getaddresses
from html.parser import HTMLParser

from bus.event_bus import EventBus
from db.engine import Database
from db.models import Case, ConversationMessage
from domain import conversations
from domain.attachments import StoredFile, content_type_of, filename_of
from domain.reply_addresses import case_for_reply, reply_token_in
from storage.store import FileStore, new_key

log = logging.getLogger("workcloud.inbound")

_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")

_ATTRIBUTION = [
    re.compile(r"^On\b.*\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^Den\b.*\bskrev\b.*:\s*$", re.IGNORECASE),
    re.compile(
        r"^-{2,}\s*(Original Message|Ursprungligt meddelande|Originalmeddelande)\s*-{2,}\s*$",
        re.IGNORECASE,
    ),
]
_HEADER_BLOCK_START = re.compile(r"^\*?(From|Från):\*?\s", re.IGNORECASE)
_HEADER_BLOCK_NEXT = re.compile(r"^\*?(Sent|Skickat|Date|Datum|To|Till):\*?\s", re.IGNORECASE)


@dataclass(frozen=True)
class MailFile:
    filename: str | None
    content_type: str
    content: bytes


@dataclass(frozen=True)
class InboundMail:
    recipients: list[str]
    sender_address: str
    sender_name: str | None
    text: str
    files: list[MailFile] = field(default_factory=list)


@dataclass(frozen=True)
class FileLimits:
    """What of a reply's files is kept: mail is not a form, so the rest is left out."""

    max_files: int
    max_file_bytes: int


class NotAnEmail(ValueError):
    pass


class UnreadableEmail(ValueError):
    """An e-mail whose structure the mail parser cannot make sense of."""


# C0 controls but tab and line breaks, DEL, and C1 controls: nothing a person writes.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\t\r\n]+")


def _valid_unicode(text: str) -> str:
    """The text with whatever is not a character (bytes the parser could not decode, kept
    as lone surrogates) read as UTF-8 where it is, else as U+FFFD."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def clean_body(text: str) -> str:
    """Body text that every backend can store: valid Unicode, no control characters."""
    return _CONTROL.sub("", _valid_unicode(text))


def clean_header(text: str) -> str:
    """A header value as one line of text that every backend can store."""
    return _LINE_BREAKS.sub(" ", clean_body(text)).strip()


def _is_attribution(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    if any(p.match(line) for p in _ATTRIBUTION):
        return True
    # Clients wrap a long attribution: "On Tue, 3 Dec 2026 at 10:12, Karin <k@x.se>\nwrote:"
    if i + 1 < len(lines) and line:
        joined = f"{line} {lines[i + 1].strip()}"
        if any(p.match(joined) for p in _ATTRIBUTION[:2]):
            return True
    if _HEADER_BLOCK_START.match(line):
        following = [ln.strip() for ln in lines[i + 1 : i + 5]]
        return any(_HEADER_BLOCK_NEXT.match(ln) for ln in following)
    return False


def strip_quoted(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if _is_attribution(lines, i):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    # The rule some clients draw above the quoted header block.
    while kept and re.fullmatch(r"[_\-\s]*", kept[-1]):
        kept.pop()
    return "\n".join(kept).strip()


class _HtmlText(HTMLParser):
    """The visible text of an HTML body, leaving out quoted parts (blockquote, gmail_quote)."""

    _BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3"}
    _VOID = {"br", "img", "hr", "meta", "link", "input", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._open: list[bool] = []  # per open element: does it start a quoted/hidden part?
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")
        if tag in self._VOID:
            return
        classes = dict(attrs).get("class") or ""
        hides = tag in ("blockquote", "style", "script", "head") or "quote" in classes
        self._open.append(hides)
        self._hidden += hides

    def handle_endtag(self, tag: str) -> None:
        if tag in self._VOID or not self._open:
            return
        self._hidden -= self._open.pop()
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts))


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        # A charset Python does not know (x-nonexistent-charset), or one that is no text
        # encoding (idna, rot13): best effort, as UTF-8.
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
    return content if isinstance(content, str) else content.decode("utf-8", "replace")


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if not isinstance(part, EmailMessage):
        return ""
    text = _content(part)
    return _html_to_text(text) if part.get_content_subtype() == "html" else text


def _files(message: EmailMessage) -> list[MailFile]:
    files: list[MailFile] = []
    for part in message.iter_attachments():
        if not isinstance(part, EmailMessage) or part.is_multipart():
            continue
        content = part.get_payload(decode=True)
        if isinstance(content, bytes):
            name = part.get_filename()
            files.append(MailFile(name, part.get_content_type(), content))
    return files


def _read(message: EmailMessage) -> InboundMail:
    recipients = [
        clean_header(address)
        for header in _RECIPIENT_HEADERS
        for _name, address in getaddresses([str(v) for v in message.get_all(header, [])])
        if address
    ]
    [(name, address)] = getaddresses([str(message["From"])])[:1] or [("", "")]
    return InboundMail(
        recipients=recipients,
        sender_address=clean_header(address),
        sender_name=clean_header(name) or None,
        text=strip_quoted(clean_body(_body_text(message))),
        files=_files(message),
    )


def parse(raw: bytes) -> InboundMail:
    """What an e-mail says, as text every backend can store, whatever its charsets."""
    try:
        message = message_from_bytes(raw, policy=default)
        if not isinstance(message, EmailMessage) or message["From"] is None:
            raise NotAnEmail("not an RFC 5322 message with a From header")
        return _read(message)
    except NotAnEmail:
        raise
    except Exception as error:
        # The mail package can fail in many ways on a malformed message; the sender's
        # mistake is reported as such, not as our failure.
        raise UnreadableEmail(f"the message cannot be read: {type(error).__name__}") from error


class NoSuchReplyAddress(LookupError):
    """None of the mail's recipients is a reply address this server handed out."""


async def _store(
    store: FileStore, files: Sequence[MailFile], limits: FileLimits
) -> list[StoredFile]:
    """Writes the files within the limits; when one fails, those already written go again."""
    kept = [f for f in files if len(f.content) <= limits.max_file_bytes][: limits.max_files]
    if len(kept) < len(files):
        log.info("an e-mail reply's files beyond the limits were left out")
    stored: list[StoredFile] = []
    try:
        for file in kept:
            key = new_key()
            await store.put(key, io.BytesIO(file.content))
            stored.append(
                StoredFile(
                    key=key,
                    filename=filename_of(file.filename),
                    content_type=content_type_of(file.content_type),
                    size=len(file.content),
                )
            )
    except BaseException:
        await store.delete([f.key for f in stored])
        raise
    return stored


async def thread_reply(
    db: Database,
    bus: EventBus,
    store: FileStore,
    limits: FileLimits,
    raw: bytes,
    envelope_recipient: str = "",
) -> ConversationMessage:
    """Threads a raw RFC 5322 reply into its case's conversation, in one transaction, its
    files written to the store first (and removed again when it does not commit).

    The reply address (`reply+<token>@...`) is looked for in the envelope recipient first,
    then in Delivered-To, X-Original-To, Envelope-To, To and Cc. Raises NotAnEmail or
    UnreadableEmail, NoSuchReplyAddress, or `conversations.ReplyRefused` (nothing written).
    """
    try:
        mail = parse(raw)
    except (NotAnEmail, UnreadableEmail):
        raise
    except ValueError as error:
        raise NotAnEmail(str(error)) from error
    tokens = [t for t in map(reply_token_in, [envelope_recipient, *mail.recipients]) if t]
    found: Case | None = None
    async with db.session(None) as session:
        for token in tokens:
            found = await case_for_reply(session, token)
            if found is not None:
                break
    if found is None:
        raise NoSuchReplyAddress("No conversation has this reply address.")
    stored = await _store(store, mail.files, limits)
    try:
        async with bus.publishing(db, found.tenant_id) as session:
            case = await session.get(Case, found.id)
            assert case is not None
            return await conversations.receive_email_reply(
                session, case, mail.sender_address, mail.sender_name, mail.text, stored
            )
    except BaseException:
        await store.delete([f.key for f in stored])
        raise

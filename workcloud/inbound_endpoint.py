"""POST /inbound/email: a customer's e-mail reply, threaded into the case's conversation.

The body is the raw RFC 5322 message, as an MTA pipes it or a provider's webhook posts it
(its attached files become the message's attachments);
the `X-Inbound-Secret` header must carry WORKCLOUD_INBOUND_SECRET. The reply address
(`reply+<token>@...`) is looked for in the `recipient` query parameter (the envelope
recipient, where the MTA passes it), then in Delivered-To, X-Original-To, Envelope-To,
To and Cc.

    200  threaded: {"status": "threaded", "messageId": <ConversationMessage id>}
    400  not an e-mail            401  no secret        403  wrong secret
    404  no known reply token
    422  conversations off, the case not visible in the portal, nothing left once quotes
         are cut, or unreadable
    413  larger than WORKCLOUD_INBOUND_MAX_BYTES (25 MB)
    503  no secret configured
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.conversations import ReplyRefused
from graph.context import Services
from graph.ids import to_global_id
from messaging.inbound_mail import (
    FileLimits,
    NoSuchReplyAddress,
    NotAnEmail,
    UnreadableEmail,
    thread_reply,
)

SECRET_HEADER = "X-Inbound-Secret"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _refusal(services: Services, request: Request) -> JSONResponse | None:
    secret = services.settings.inbound_secret
    if not secret:
        return _error(503, "Inbound e-mail is not configured (WORKCLOUD_INBOUND_SECRET).")
    given = request.headers.get(SECRET_HEADER)
    if given is None:
        return _error(401, f"The {SECRET_HEADER} header is required.")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return _error(403, f"Wrong {SECRET_HEADER}.")
    return None


def inbound_email(services: Services) -> Callable[[Request], Awaitable[Response]]:
    settings = services.settings
    limits = FileLimits(max_files=settings.max_files, max_file_bytes=settings.max_attachment_bytes)

    async def receive(request: Request) -> Response:
        refusal = _refusal(services, request)
        if refusal is not None:
            return refusal
        # Its size is bounded before it gets here (WORKCLOUD_INBOUND_MAX_BYTES, graph/limits.py).
        raw = await request.body()
        # An MTA pastes the address into the URL as it is, and a query string reads its "+"
        # as a space; an address has no spaces, so that is undone.
        envelope = request.query_params.get("recipient", "").replace(" ", "+")
        try:
            message = await thread_reply(
                services.db, services.bus, services.storage, limits, raw, envelope
            )
        except UnreadableEmail as error:
            return _error(422, str(error))
        except NotAnEmail as error:
            return _error(400, str(error))
        except NoSuchReplyAddress as error:
            return _error(404, str(error))
        except ReplyRefused as refused:
            return _error(422, str(refused))
        message_id = to_global_id("ConversationMessage", message.id)
        return JSONResponse({"status": "threaded", "messageId": message_id})

    return receive

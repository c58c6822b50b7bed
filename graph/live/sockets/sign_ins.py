"""Sockets' sign-ins read together: every token asked for meanwhile, in one statement.

A socket reads its token at `connection_init` and again before each operation (the
operation runs as the sign-in is now, or not at all). In a reconnect storm thousands of
sockets ask within seconds; each asking alone would cost a session and a statement. Here a
token asked for joins the next read, never one already sent: each answer comes from a
statement that started after the question, so a token revoked before it was asked for is
never taken for a good one. While reads are on the way, the next one gathers what is asked
meanwhile, so the busier the server, the more tokens each statement carries.
"""

from __future__ import annotations

import asyncio
import contextvars

from db.engine import Database
from domain import signin
from domain.viewer import Viewer

# Statements on the way at once; anything asked meanwhile waits for the next one.
MAX_READS_IN_FLIGHT = 2
MAX_TOKENS_PER_READ = 500


class SocketSignIns:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._asked: dict[str, list[asyncio.Future[Viewer | None]]] = {}
        self._scheduled = False
        self._in_flight: set[asyncio.Task[None]] = set()
        # Reads run in a context of their own, not that of whichever socket asked first.
        self._context = contextvars.Context()

    async def viewer(self, token: str) -> Viewer | None:
        """The viewer `token` stands for now, or None (unknown, expired or revoked)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Viewer | None] = loop.create_future()
        self._asked.setdefault(token, []).append(answer)
        self._schedule()
        return await answer

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._send, context=self._context)

    def _send(self) -> None:
        self._scheduled = False
        while self._asked and len(self._in_flight) < MAX_READS_IN_FLIGHT:
            tokens = list(self._asked)[:MAX_TOKENS_PER_READ]
            batch = {token: self._asked.pop(token) for token in tokens}
            read = asyncio.ensure_future(self._read(batch))
            self._in_flight.add(read)
            read.add_done_callback(self._read_done)

    async def _read(self, batch: dict[str, list[asyncio.Future[Viewer | None]]]) -> None:
        try:
            async with self._db.session(None) as session:
                viewers = await signin.viewers_for_tokens(session, batch)
        except Exception as error:
            for answers in batch.values():
                for answer in answers:
                    if not answer.done():
                        answer.set_exception(error)
        else:
            for token, answers in batch.items():
                for answer in answers:
                    if not answer.done():
                        answer.set_result(viewers.get(token))
        finally:
            for answers in batch.values():
                for answer in answers:
                    answer.cancel()  # the read itself was cancelled (shutdown): no answer

    def _read_done(self, read: asyncio.Task[None]) -> None:
        self._in_flight.discard(read)
        if self._asked:
            self._schedule()

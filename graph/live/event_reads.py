"""What every subscriber of an event must have checked, read once for all of them.

Is each token still good, may its viewer still see this case, which rows are new. The
dispatchers (hub.py, case_feed.py) ask for all of their subscribers at once
(`valid_tokens`, `cases_by_id`), and so does the open-socket registry
(sockets/open_sockets.py) when the bus may have missed a sign-in's end. `casePresence`
subscriptions, each with a loop of its own, wake in the same turn of the event loop and ask
one by one; the DataLoaders here (without a cache: nothing is kept past the moment) batch
those into one query, and `rows` shares one fetch between them. Subscriptions starting
together (a reconnect storm) read their case (`case`) and replay (`replay`) the same way.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Collection, Hashable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from db.engine import Database, single_statement
from db.models import AccessToken, Case, utcnow
from domain.cases.access import may_see
from domain.viewer import Viewer

T = TypeVar("T")

# Tokens per statement: well below every database's limit on bound parameters.
_CHUNK = 1000


class EventReads:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._tokens: DataLoader[int, bool] = DataLoader(self._valid_tokens, cache=False)
        self._cases: DataLoader[int, Case | None] = DataLoader(
            self._cases_by_id, cache=False, max_batch_size=_CHUNK
        )
        self._fetches: dict[tuple[str, tuple[int, ...]], asyncio.Task[Sequence[Any]]] = {}
        self._replays: dict[Hashable, asyncio.Future[Any]] = {}
        self._replaying: set[asyncio.Task[None]] = set()

    async def may_see_case(self, viewer: Viewer, case_id: int) -> bool:
        if not await self._tokens.load(viewer.token_id):
            return False
        case = await self._cases.load(case_id)
        return case is not None and may_see(viewer, case)

    async def case(self, case_id: int) -> Case | None:
        """The case as it is now, in one statement with every case asked for meanwhile; the
        caller decides who may see it (`may_see`)."""
        return await self._cases.load(case_id)

    async def replay(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        """`fetch()` once for everyone asking with `key` (a stream, a cursor, and who asks) in
        this turn of the event loop. A fetch already sent is never joined: a subscription
        replays from a read that started after it joined its channel, or it could miss a
        row committed between the two that the channel announced before it listened."""
        shared = self._replays.get(key)
        if shared is None:
            loop = asyncio.get_running_loop()
            shared = self._replays[key] = loop.create_future()
            loop.call_soon(self._send_replay, key, fetch, context=contextvars.Context())
        return await asyncio.shield(shared)

    def _send_replay(self, key: Hashable, fetch: Callable[[], Awaitable[Any]]) -> None:
        shared = self._replays.pop(key)  # whoever asks from now on waits for a new read
        task = asyncio.ensure_future(_settle(shared, fetch))
        self._replaying.add(task)
        task.add_done_callback(self._replaying.discard)

    async def rows(
        self, channel: str, ids: Sequence[int], fetch: Callable[[], Awaitable[Sequence[Any]]]
    ) -> Sequence[Any]:
        """`fetch()` once for everyone asking for these ids on this channel at this moment."""
        key = (channel, tuple(ids))
        task = self._fetches.get(key)
        if task is None:
            task = asyncio.ensure_future(fetch())
            self._fetches[key] = task
            task.add_done_callback(lambda _done: self._fetches.pop(key, None))
        return await asyncio.shield(task)

    async def valid_tokens(self, token_ids: Collection[int]) -> set[int]:
        """Which of these tokens are still good: neither revoked nor expired."""
        # System-wide by id: each subscriber's own token, whatever its tenant.
        ids = sorted(token_ids)
        valid: set[int] = set()
        async with self._db.session(None) as session:
            await single_statement(session)
            for start in range(0, len(ids), _CHUNK):
                valid.update(
                    (
                        await session.scalars(
                            select(AccessToken.id).where(
                                AccessToken.id.in_(ids[start : start + _CHUNK]),
                                AccessToken.revoked_at.is_(None),
                                AccessToken.expires_at > utcnow(),
                            )
                        )
                    ).all()
                )
        return valid

    async def cases_by_id(self, case_ids: Collection[int]) -> dict[int, Case]:
        # Unscoped by tenant on purpose: `may_see` compares each case's tenant with the viewer's.
        async with self._db.session(None) as session:
            await single_statement(session)
            cases = await session.scalars(select(Case).where(Case.id.in_(case_ids)))
            return {case.id: case for case in cases.all()}

    async def _valid_tokens(self, token_ids: Sequence[int]) -> list[bool]:
        valid = await self.valid_tokens(token_ids)
        return [t in valid for t in token_ids]

    async def _cases_by_id(self, case_ids: Sequence[int]) -> list[Case | None]:
        found = await self.cases_by_id(set(case_ids))
        return [found.get(c) for c in case_ids]


async def _settle(shared: asyncio.Future[T], fetch: Callable[[], Awaitable[T]]) -> None:
    try:
        rows = await fetch()
    except BaseException as error:
        if not shared.done():
            if isinstance(error, asyncio.CancelledError):
                shared.cancel()
            else:
                shared.set_exception(error)
                shared.exception()  # retrieved: its askers may all have gone meanwhile
        if not isinstance(error, Exception):
            raise
    else:
        if not shared.done():
            shared.set_result(rows)

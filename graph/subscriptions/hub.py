"""Live subscribers, one dispatcher per channel: each event read, checked and rendered once.

A subscription starts like any operation: Strawberry validates it, its resolver checks what
it names and replays the rows after the client's cursor. Then, on a graphql-transport-ws
socket, it is parked here and its operation task ends (`Parked`). From then on the
channel's one dispatcher serves every subscriber of the channel on this instance: per
event, the sign-ins (and the case, where there is one) of all of them are checked in one
statement, the new rows are read once, each distinct request (document, variables and
kind of viewer) is executed once per row, and the `next` message is encoded once; each
subscriber gets those same characters with its own operation id. Nothing waits per
subscriber: the message goes straight onto its socket (websocket.SocketOutlet).

Ordering and resumption are the stream's (live.py): every subscriber keeps the id of the
last row it got; events that follow on from it are delivered, anything else is re-read
from the database after that id.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import defaultdict
from collections.abc import Awaitable, Sequence
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, parse
from graphql.execution import execute_subscription_event
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from bus.event_bus import RESYNC, EventBus, ListenerOverflow, Resync
from db.engine import single_statement
from domain.cases.access import may_see
from graph.context import OperationScope, use_scope
from graph.errors import mask_unexpected
from graph.subscriptions.event_reads import EventReads
from graph.subscriptions.parking import Access, LiveSubscriber, RenderKey
from graph.subscriptions.stream import REPLAY_BATCH, TableStream, contiguous

log = logging.getLogger("workcloud.live")

# How long a channel nobody listens to any more stays subscribed on the bus.
LINGER_SECONDS = 10.0
# How long a channel waits before trying again when it could not deliver (database away).
RETRY_SECONDS = 1.0


class _Wake:
    """A nudge through a channel's own queue: someone went live after missing events."""


WAKE = _Wake()


@functools.lru_cache(maxsize=512)
def _document(query: str) -> DocumentNode:
    return parse(query)


class LiveHub:
    """Every channel with live subscribers on this instance."""

    def __init__(self, bus: EventBus, reads: EventReads, db: Any) -> None:
        self._bus = bus
        self._reads = reads
        self._db = db
        self._channels: dict[str, LiveChannel] = {}

    async def join(
        self,
        channel: str,
        stream: TableStream[Any],
        access: Access,
        subscriber: LiveSubscriber,
    ) -> None:
        """Adds a subscriber that is still replaying; the channel listens from now on.

        A channel's name says what it carries (a case's comments, a user's notifications),
        so its stream and what is re-checked per event are the same for every subscriber.
        """
        live = self._channels.get(channel)
        if live is None or live.closing:
            tenant_id = subscriber.viewer.tenant_id
            live = self._channels[channel] = LiveChannel(self, channel, stream, access, tenant_id)
        subscriber.channel = live
        live.add(subscriber)
        await live.listening()

    def go_live(self, subscriber: LiveSubscriber, watermark: int | None) -> None:
        subscriber.watermark = watermark
        subscriber.live = True
        if subscriber.missed and subscriber.channel is not None:
            subscriber.channel.wake()

    def leave(self, subscriber: LiveSubscriber) -> None:
        subscriber.gone = True
        if subscriber.channel is not None:
            subscriber.channel.remove(subscriber)

    def subscribers_of(self, channel: str) -> list[LiveSubscriber]:
        live = self._channels.get(channel)
        return [s for s in live.subscribers if s.live] if live is not None else []

    def forget(self, live: LiveChannel) -> None:
        if self._channels.get(live.name) is live:
            del self._channels[live.name]

    async def close(self) -> None:
        for live in list(self._channels.values()):
            await live.stop()
        self._channels.clear()


class LiveChannel:
    def __init__(
        self, hub: LiveHub, name: str, stream: TableStream[Any], access: Access, tenant_id: int
    ) -> None:
        self.hub = hub
        self.name = name
        self.stream = stream
        self.access = access
        self.tenant_id = tenant_id
        self._render_ids: dict[RenderKey, int] = {}
        self.subscribers: set[LiveSubscriber] = set()
        self.closing = False
        self._ready = asyncio.Event()
        self._listener: Any = None
        self._linger: asyncio.TimerHandle | None = None
        self._task = asyncio.create_task(self._run(), name=f"live {name}")

    async def listening(self) -> None:
        await self._ready.wait()
        if self._task.done():
            self._task.result()  # the bus subscription failed: raise it to the subscriber

    def add(self, subscriber: LiveSubscriber) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        subscriber.render_id = self._render_ids.setdefault(
            subscriber.render_key, len(self._render_ids)
        )
        self.subscribers.add(subscriber)

    def remove(self, subscriber: LiveSubscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers and self._linger is None and not self.closing:
            self._linger = asyncio.get_running_loop().call_later(LINGER_SECONDS, self._idle)

    def wake(self) -> None:
        if self._listener is not None:
            self._listener.offer(WAKE)

    def _idle(self) -> None:
        self._linger = None
        if not self.subscribers:
            self.closing = True
            self.hub.forget(self)
            self._task.cancel()

    async def stop(self) -> None:
        self.closing = True
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task

    async def _run(self) -> None:
        reread = False
        try:
            while True:
                async with self.hub._bus.listen(self.name) as listener:
                    self._listener = listener
                    self._ready.set()
                    if reread:
                        listener.offer(RESYNC)
                    try:
                        while True:
                            items = [await listener.get(), *listener.pending()]
                            await self._dispatch_or_retry(listener, items)
                    except ListenerOverflow:
                        # The dispatcher itself fell behind: listen afresh, re-read for all.
                        log.warning("live channel %s overflowed; re-reading", self.name)
                        reread = True
        finally:
            self._ready.set()
            self.closing = True
            self.hub.forget(self)

    async def _dispatch_or_retry(self, listener: Any, items: list[Any]) -> None:
        try:
            await self._dispatch(items)
        except Exception:
            # The database or the bus is away: the subscribers stay, and re-read from
            # where each of them is once it is back. Nothing is lost, only late.
            log.exception("live channel %s could not deliver; retrying", self.name)
            await asyncio.sleep(RETRY_SECONDS)
            listener.offer(RESYNC)

    async def _dispatch(self, items: list[Any]) -> None:
        events = [item for item in items if isinstance(item, dict)]
        resync = any(isinstance(item, Resync) for item in items)
        live: list[LiveSubscriber] = []
        for subscriber in self.subscribers:
            if subscriber.live:
                live.append(subscriber)
            elif events or resync:
                subscriber.missed = True
        if not live:
            return
        # Subscribers at the same place in the stream asking the same thing get the same
        # characters: one group each, read and rendered once.
        everyone: dict[tuple[int | None, int], list[LiveSubscriber]] = defaultdict(list)
        for subscriber in live:
            everyone[(subscriber.watermark, subscriber.render_id)].append(subscriber)
        # The checks and the rows at once: what is read for a subscriber that may no longer
        # see the stream is simply not sent.
        verdicts, due = await asyncio.gather(
            self._verdicts(live), self._due(everyone, events, resync)
        )
        groups: dict[tuple[int | None, int], list[LiveSubscriber]] = {}
        for key, members in everyone.items():
            allowed = []
            for subscriber in members:
                if verdicts[subscriber.viewer.token_id]:
                    allowed.append(subscriber)
                elif not subscriber.gone:
                    subscriber.outlet.end(subscriber.operation_id)
            if allowed:
                groups[key] = allowed
        rendered = await self._render(groups, due)
        for (mark, render_id), members in groups.items():
            rows = due[mark]
            if not rows:
                continue
            messages = [rendered[(row.id, render_id)] for row in rows]
            last = rows[-1].id
            for subscriber in members:
                if subscriber.gone:
                    continue
                for head, tail in messages:
                    subscriber.outlet.send_text(head + subscriber.id_json + tail)
                subscriber.watermark = last
                subscriber.missed = False

    async def _verdicts(self, live: list[LiveSubscriber]) -> dict[int, bool]:
        """May each token's viewer still see the stream? One statement for all tokens."""
        reads = self.hub._reads
        viewers = {s.viewer.token_id: s.viewer for s in live}
        signed_in = await reads.valid_tokens(viewers)
        case_id = self.access.case_id
        case = (await reads.cases_by_id([case_id])).get(case_id) if case_id is not None else None
        return {
            token: token in signed_in
            and (case_id is None or (case is not None and may_see(viewer, case)))
            for token, viewer in viewers.items()
        }

    async def _due(
        self,
        groups: dict[tuple[int | None, int], list[LiveSubscriber]],
        events: list[dict[str, Any]],
        resync: bool,
    ) -> dict[int | None, list[Any]]:
        """The rows due after each distinct watermark, each read once."""
        marks: dict[int | None, bool] = {}  # watermark -> must re-read after it
        for (mark, _key), members in groups.items():
            reread = resync or any(s.missed for s in members) or not contiguous(events, mark)
            marks[mark] = marks.get(mark, False) or reread
        following = not all(marks.values())
        fresh = sorted({int(event["id"]) for event in events}) if following else []
        due: dict[int | None, list[Any]] = {}
        async with self.hub._db.session(self.tenant_id) as session:
            await single_statement(session)
            by_id = list(await self.stream.rows_by_id(session, fresh)) if fresh else []
            for mark, reread in marks.items():
                if reread:
                    due[mark] = await self._all_after(session, mark)
        for mark, reread in marks.items():
            if not reread:
                due[mark] = [row for row in by_id if mark is None or row.id > mark]
        return due

    async def _all_after(self, session: Any, mark: int | None) -> list[Any]:
        rows: list[Any] = []
        while True:
            batch = await self.stream.rows_after(session, mark, REPLAY_BATCH)
            rows += batch
            if len(batch) < REPLAY_BATCH:
                return rows
            mark = batch[-1].id

    async def _render(
        self,
        groups: dict[tuple[int | None, int], list[LiveSubscriber]],
        due: dict[int | None, list[Any]],
    ) -> dict[tuple[int, int], tuple[str, str]]:
        """Executes each distinct request once per row, in one scope shared by all of them."""
        wanted: dict[tuple[int, int], tuple[LiveSubscriber, Any]] = {}
        for (mark, render_id), members in groups.items():
            for row in due[mark]:
                wanted.setdefault((row.id, render_id), (members[0], row))
        if not wanted:
            return {}
        scope = OperationScope(self.hub._db, self.tenant_id, transaction=False)
        with use_scope(scope):
            try:
                payloads = await asyncio.gather(
                    *(_execute(subscriber, row) for subscriber, row in wanted.values())
                )
            finally:
                await scope.close()
        return {
            key: ('{"id":', ',"type":"next","payload":' + payload + "}")
            for key, payload in zip(wanted, payloads, strict=True)
        }


async def _execute(subscriber: LiveSubscriber, row: Any) -> str:
    """The `next` payload for one row, exactly as Strawberry's own execution would encode it."""
    request = subscriber.request
    executor = StrawberryGraphQLCoreExecutionContext.build(
        request.schema._schema,
        _document(request.query),
        None,
        subscriber.context,
        request.variables,
        request.operation_name,
    )
    if isinstance(executor, list):
        return _encode(None, executor)
    executed = execute_subscription_event(
        executor.build_per_event_executor(subscriber.to_payload(row))
    )
    result = await executed if isinstance(executed, Awaitable) else executed
    return _encode(result.data, result.errors)


def _encode(data: Any, errors: Sequence[GraphQLError] | None) -> str:
    payload: dict[str, Any] = {"data": data}
    if errors:
        masked = mask_unexpected(errors)
        for error, shown in zip(errors, masked, strict=True):
            if shown is not error:
                log.error("a live event failed: %s", error.message, exc_info=error.original_error)
        payload["errors"] = [error.formatted for error in masked]
    return orjson.dumps(payload).decode()

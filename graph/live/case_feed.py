"""The live table view's delivery: per tenant, each change read once, matched per view in
Python, rendered once per kind of request, sent to every view it concerns.

A `caseChanged` subscription replays what its client missed, then (on either WebSocket
protocol) is handed over here like the hub's subscribers (hub.py, follow.py). Unlike a hub
channel, whose subscribers all want every row, each view here has its own scope and
filter: per wake-up of the tenant's feed the dispatcher reads the new changes once, checks
every sign-in in one statement and every MINE view's groups in one more, and keeps per view
only the changes its matcher (domain/cases/change_matching.py) admits. Rendering does not
depend on the filter: views whose requests differ only in `caseChanged`'s arguments share
one execution per change (`feed_render_key`).

The feed's announcements only wake it up; the rows are read after each view's position,
so a lost or late announcement costs a read, never a change.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, cast

from graphql import (
    FieldNode,
    OperationDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)
from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bus.event_bus import RESYNC, EventBus, Listener, ListenerOverflow
from db import models
from db.engine import Database, single_statement
from db.streams import REPLAY_BATCH, TableStream
from domain import channels
from domain.cases.change_matching import CaseMatcher
from domain.viewer import Viewer
from graph.live.event_reads import EventReads
from graph.live.hub import LINGER_SECONDS, RETRY_SECONDS
from graph.live.render import frame_tail, render
from graph.live.subscriber import Subscriber, who_asks

log = logging.getLogger("workcloud.live")

FIELD = "caseChanged"
# The tenant scoping of the session narrows this to the viewer's tenant.
CHANGES = TableStream(models.CaseChange, true())


@dataclass(frozen=True)
class FeedView:
    """What one subscription watches: its matcher, and the viewer's groups for MINE."""

    matcher: CaseMatcher
    group_ids: frozenset[int] = frozenset()

    def wants(self, change: models.CaseChange) -> bool:
        return self.matcher.concerns(change.before, change.after, self.group_ids)


async def group_ids_of(session: AsyncSession, user_ids: Collection[int]) -> dict[int, set[int]]:
    """The groups of each of these users, in one statement."""
    found: dict[int, set[int]] = {u: set() for u in user_ids}
    rows = await session.execute(
        select(models.GroupMember.user_id, models.GroupMember.group_id).where(
            models.GroupMember.user_id.in_(sorted(user_ids))
        )
    )
    for user_id, group_id in rows:
        found[user_id].add(group_id)
    return found


@functools.lru_cache(maxsize=512)
def _shape(query: str, operation_name: str | None) -> tuple[str, frozenset[str]]:
    """The document without `caseChanged`'s arguments, and the variables the rest uses."""

    class Strip(Visitor):
        def enter_field(self, node: FieldNode, *_args: Any) -> FieldNode | None:
            if node.name.value != FIELD or not node.arguments:
                return None
            return FieldNode(
                alias=node.alias,
                name=node.name,
                arguments=(),
                directives=node.directives,
                selection_set=node.selection_set,
            )

        def enter_operation_definition(
            self, node: OperationDefinitionNode, *_args: Any
        ) -> OperationDefinitionNode:
            return OperationDefinitionNode(
                operation=node.operation,
                name=node.name,
                variable_definitions=(),
                directives=node.directives,
                selection_set=node.selection_set,
            )

    stripped = visit(parse(query), Strip())
    used: set[str] = set()

    class Used(Visitor):
        def enter_variable(self, node: VariableNode, *_args: Any) -> None:
            used.add(node.name.value)

    visit(stripped, Used())
    return print_ast(stripped), frozenset(used)


def feed_render_key(
    query: str, operation_name: str | None, variables: dict[str, Any] | None, viewer: Viewer
) -> tuple[Any, ...]:
    """Who gets the same characters for the same change: the request without the view's
    own arguments (scope, filter, after), and who asks (subscriber.who_asks)."""
    text, used = _shape(query, operation_name)
    kept = {k: v for k, v in (variables or {}).items() if k in used}
    return (
        text,
        operation_name or "",
        json.dumps(kept, sort_keys=True, default=str),
        *who_asks(query, viewer),
    )


@dataclass(eq=False, slots=True)
class FeedSubscriber(Subscriber):
    """A table view: its `watermark` is its position in the tenant's feed, the last change
    looked at (sent or not)."""

    view: FeedView = field(default_factory=lambda: FeedView(CaseMatcher(())))

    @property
    def render_key(self) -> tuple[object, ...]:
        request = self.request
        return feed_render_key(
            request.query, request.operation_name, request.variables, self.viewer
        )


class CaseFeeds:
    """Every tenant's feed with live table views on this instance."""

    def __init__(self, bus: EventBus, reads: EventReads, db: Database) -> None:
        self.bus = bus
        self.reads = reads
        self.db = db
        self._feeds: dict[int, TenantFeed] = {}

    async def join(self, subscriber: FeedSubscriber) -> None:
        """Adds a subscriber that is still replaying; its tenant's feed listens from now on."""
        tenant_id = subscriber.viewer.tenant_id
        feed = self._feeds.get(tenant_id)
        if feed is None or feed.closing:
            feed = self._feeds[tenant_id] = TenantFeed(self, tenant_id)
        feed.add(subscriber)
        await feed.listening()

    def live_views(self, tenant_id: int) -> list[FeedSubscriber]:
        feed = self._feeds.get(tenant_id)
        return [s for s in feed.subscribers if s.receiving] if feed is not None else []

    def forget(self, feed: TenantFeed) -> None:
        if self._feeds.get(feed.tenant_id) is feed:
            del self._feeds[feed.tenant_id]

    async def close(self) -> None:
        for feed in list(self._feeds.values()):
            await feed.stop()
        self._feeds.clear()


class TenantFeed:
    def __init__(self, feeds: CaseFeeds, tenant_id: int) -> None:
        self.feeds = feeds
        self.tenant_id = tenant_id
        self.channel = channels.tenant_case_changes(tenant_id)
        self.subscribers: set[FeedSubscriber] = set()
        self.closing = False
        self._render_ids: dict[tuple[Any, ...], int] = {}
        self._ready = asyncio.Event()
        self._listener: Listener | None = None
        self._linger: asyncio.TimerHandle | None = None
        # A context of its own: not that of the operation that happened to open the feed.
        self._task = asyncio.create_task(
            self._run(), name=f"live {self.channel}", context=contextvars.Context()
        )

    async def listening(self) -> None:
        await self._ready.wait()
        if self._task.done():
            self._task.result()  # the bus subscription failed: raise it to the subscriber

    def add(self, subscriber: FeedSubscriber) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        subscriber.channel = self
        subscriber.render_id = self._render_ids.setdefault(
            subscriber.render_key, len(self._render_ids)
        )
        self.subscribers.add(subscriber)

    def remove(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(cast(FeedSubscriber, subscriber))  # only views join a feed
        if not self.subscribers and self._linger is None and not self.closing:
            self._linger = asyncio.get_running_loop().call_later(LINGER_SECONDS, self._idle)

    def wake(self) -> None:
        """Someone went live after missing changes: read on now."""
        if self._listener is not None:
            self._listener.offer(RESYNC)

    def _idle(self) -> None:
        self._linger = None
        if not self.subscribers:
            self.closing = True
            self.feeds.forget(self)
            self._task.cancel()

    async def stop(self) -> None:
        self.closing = True
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task

    async def _run(self) -> None:
        try:
            while True:
                async with self.feeds.bus.listen(self.channel) as listener:
                    self._listener = listener
                    self._ready.set()
                    try:
                        while True:
                            await listener.get()
                            listener.pending()  # however many wake-ups: one read
                            await self._dispatch_or_retry(listener)
                    except ListenerOverflow:
                        # Wake-ups only: listening afresh and reading on loses nothing.
                        log.warning("live feed %s overflowed; re-reading", self.channel)
        finally:
            self._ready.set()
            self.closing = True
            self.feeds.forget(self)

    async def _dispatch_or_retry(self, listener: Listener) -> None:
        try:
            await self.dispatch()
        except Exception:
            # The database is away: the views stay and read on from where each is.
            log.exception("live feed %s could not deliver; retrying", self.channel)
            await asyncio.sleep(RETRY_SECONDS)
            listener.offer(RESYNC)

    async def dispatch(self) -> None:
        """Delivers every change after each live view's position that concerns the view."""
        live: list[FeedSubscriber] = []
        for subscriber in self.subscribers:
            if subscriber.receiving:
                live.append(subscriber)
            else:
                subscriber.missed_event()
        if not live:
            return
        reads = self.feeds.reads
        tokens = {s.viewer.token_id for s in live}
        mine = {s.view.matcher.mine_of for s in live} - {None}
        signed_in, (changes, groups) = await asyncio.gather(
            reads.valid_tokens(tokens), self._read(min(s.watermark or 0 for s in live), mine)
        )
        # Which change goes to whom; each (change, kind of request) rendered once.
        sends: list[tuple[FeedSubscriber, list[models.CaseChange]]] = []
        wanted: dict[tuple[int, int], tuple[FeedSubscriber, models.CaseChange]] = {}
        for subscriber in live:
            if subscriber.viewer.token_id not in signed_in:
                if subscriber.receiving:
                    subscriber.outlet.end(subscriber)
                continue
            view = subscriber.view
            if view.matcher.mine_of is not None:
                view = FeedView(view.matcher, frozenset(groups.get(view.matcher.mine_of, ())))
                subscriber.view = view
            position = subscriber.watermark or 0
            due = [c for c in changes if c.id > position and view.wants(c)]
            for change in due:
                wanted.setdefault((change.id, subscriber.render_id), (subscriber, change))
            sends.append((subscriber, due))
        rendered = await render(wanted, self.feeds.db, self.tenant_id)
        last = changes[-1].id if changes else 0
        for subscriber, due in sends:
            tails = [frame_tail(rendered[(change.id, subscriber.render_id)]) for change in due]
            subscriber.deliver(tails, max(last, subscriber.watermark or 0))

    async def _read(
        self, after: int, mine: set[Any]
    ) -> tuple[list[models.CaseChange], dict[int, set[int]]]:
        """The changes after `after`, and the groups of the MINE views' users."""
        async with self.feeds.db.session(self.tenant_id) as session:
            await single_statement(session)
            changes: list[models.CaseChange] = []
            while True:
                batch = await CHANGES.rows_after(session, after, REPLAY_BATCH)
                changes += batch
                if len(batch) < REPLAY_BATCH:
                    break
                after = batch[-1].id
            groups = await group_ids_of(session, mine) if mine and changes else {}
        return changes, groups

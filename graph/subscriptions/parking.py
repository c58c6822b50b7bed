"""A subscription parked in the hub: what it is, and how its operation hands it over.

The socket handler (graph/websocket.py) sets a `ParkingSpot` around each operation it runs.
When a subscription has replayed what its client missed, `follow` (live.py) turns it into a
`LiveSubscriber` of its channel in the hub (hub.py) and raises `Parked`: the operation task
ends without completing, and the hub sends its events from then on.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from domain.viewer import Viewer

if TYPE_CHECKING:
    from graph.subscriptions.hub import LiveChannel


class Parked(BaseException):
    """The subscription now lives in the hub: its operation task ends without `complete`.

    A BaseException, so that nothing on the way out (graphql-core, Strawberry's stream,
    the extensions) mistakes it for an error to report; the socket handler catches it.
    """


@dataclass(frozen=True)
class Access:
    """What is re-checked before every event: the sign-in, and the case if there is one."""

    case_id: int | None = None


class Outlet(Protocol):
    """One subscriber's socket, as the hub sees it (graph/websocket.py LiveSocketHandler)."""

    def send_text(self, text: str) -> None: ...

    def end(self, operation_id: str) -> None:
        """Completes the operation: the subscriber may no longer see the stream."""


@dataclass(frozen=True)
class Request:
    """A subscription operation as the client sent it, to execute again for every event."""

    schema: Any  # strawberry.Schema
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None

    @functools.cached_property
    def share_key(self) -> tuple[str, str, str]:
        variables = json.dumps(self.variables, sort_keys=True, default=str)
        return (self.query, self.operation_name or "", variables)


# (document, operation name, variables, kind of viewer, tenant): who gets the same payload.
RenderKey = tuple[Any, ...]


@dataclass(eq=False)
class LiveSubscriber:
    outlet: Outlet
    operation_id: str
    request: Request
    context: Any  # graph.context.Context
    viewer: Viewer
    to_payload: Callable[[Any], Any]
    watermark: int | None = None
    live: bool = False
    # Events came while it was still replaying: read after its watermark once it is live.
    missed: bool = False
    gone: bool = False
    channel: LiveChannel | None = None
    id_json: str = field(init=False)
    render_key: RenderKey = field(init=False)
    # The channel's own small number for `render_key`, cheap to group by per event.
    render_id: int = 0

    def __post_init__(self) -> None:
        self.id_json = orjson.dumps(self.operation_id).decode()
        # No resolver of a payload type depends on who asks beyond the kind of viewer and
        # the tenant: what a viewer may see is settled by channel and by the access check.
        self.render_key = (*self.request.share_key, self.viewer.kind, self.viewer.tenant_id)


class ParkingSpot:
    """Set by the socket handler around one operation; `follow` parks the operation here."""

    def __init__(self, outlet: Outlet, operation_id: str, request: Request) -> None:
        self.outlet = outlet
        self.operation_id = operation_id
        self.request = request
        self.taken = False
        # Told once the subscription is parked, with what takes it out of the hub again.
        self.on_park: Callable[[LiveSubscriber, Callable[[], None]], None] = lambda _s, _l: None


parking: ContextVar[ParkingSpot | None] = ContextVar("parking", default=None)

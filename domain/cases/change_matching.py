"""Whether a case change concerns a live table view: its scope and filter, in plain Python.

Compiled once per subscription from (scope, filter, viewer) and evaluated on the states a
change carries (snapshot.py), so that one change is matched against a thousand views
without a query per view. The rules are the table view's (table.py), over the same state:
a criterion on a missing value (no deadline, no place) does not match, as in SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from domain.cases.snapshot import Snapshot, moment
from domain.cases.table import BoundingBox, CaseFilter, CaseScope

Test = Callable[[Snapshot, Collection[int]], bool]


@dataclass(frozen=True)
class CaseMatcher:
    """A view's scope and filter; `group_ids` are the viewer's groups (for MINE)."""

    tests: tuple[Test, ...]
    # MINE: whose cases (the viewer's own user id); None for ALL.
    mine_of: int | None = None

    def matches(self, state: Snapshot | None, group_ids: Collection[int] = ()) -> bool:
        return state is not None and all(test(state, group_ids) for test in self.tests)

    def concerns(
        self, before: Snapshot | None, after: Snapshot | None, group_ids: Collection[int] = ()
    ) -> bool:
        """In the view before or after: a case leaving it is told so one last time."""
        return self.matches(before, group_ids) or self.matches(after, group_ids)


def compile_matcher(scope: CaseScope, given: CaseFilter | None, user_id: int) -> CaseMatcher:
    tests: list[Test] = []
    if scope is CaseScope.MINE:
        tests.append(_mine(user_id))
    if given is not None:
        tests += _criteria(given)
    return CaseMatcher(tuple(tests), user_id if scope is CaseScope.MINE else None)


def _mine(user_id: int) -> Test:
    def test(state: Snapshot, group_ids: Collection[int]) -> bool:
        return (
            state["responsible"] == user_id
            or user_id in state["users"]
            or any(g in group_ids for g in state["groups"])
        )

    return test


def _one_of(key: str, ids: Sequence[int]) -> Test:
    wanted = frozenset(ids)
    return lambda state, _groups: state[key] in wanted


def _any_of(key: str, ids: Sequence[int]) -> Test:
    wanted = frozenset(ids)
    return lambda state, _groups: not wanted.isdisjoint(state[key])


def _criteria(given: CaseFilter) -> list[Test]:
    tests: list[Test] = []
    for key, ids in (
        ("status", given.status_ids),
        ("type", given.type_ids),
        ("priority", given.priority_ids),
        ("customer", given.customer_ids),
        ("project", given.project_ids),
        ("object", given.object_ids),
        ("contact", given.contact_ids),
        ("responsible", given.responsible_ids),
    ):
        if ids is not None:
            tests.append(_one_of(key, ids))
    if given.assignee_user_ids is not None:
        tests.append(_any_of("users", given.assignee_user_ids))
    if given.assignee_group_ids is not None:
        tests.append(_any_of("groups", given.assignee_group_ids))
    if given.open is not None:
        closed = not given.open
        tests.append(lambda state, _groups: state["closed"] is closed)
    if given.deadline_before is not None:
        before = moment(given.deadline_before)
        tests.append(lambda state, _groups: _earlier(state["deadline"], before))
    if given.deadline_after is not None:
        after = moment(given.deadline_after)
        tests.append(lambda state, _groups: _earlier(after, state["deadline"]))
    if given.within is not None:
        tests.append(_inside(given.within))
    if given.tags is not None:
        tests.append(_all_tags(given.tags))
    if given.sla_breached is not None:
        tests.append(_breached(given.sla_breached))
    return tests


def _breached(wanted: bool) -> Test:
    """As table.py's `slaBreached`, by the state's breach as of when it was read (the SLA
    sweep records a breach as a change of the case); a state written before breaches were
    kept is in neither view."""
    return lambda state, _groups: state.get("slaBreached") is wanted


def _all_tags(given: Sequence[str]) -> Test:
    """A case has them all, in any letter case (as table.py); a state written before tags
    were kept has none."""
    wanted = frozenset(tag.strip().lower() for tag in given)
    return lambda state, _groups: wanted <= frozenset(state.get("tags", ()))


def _earlier(first: str | None, second: str | None) -> bool:
    """Snapshot times compare as text; an unknown one is neither earlier nor later."""
    return first is not None and second is not None and first < second


def _inside(box: BoundingBox) -> Test:
    """As table.inside: a box across the antimeridian has west > east and wraps around."""

    def test(state: Snapshot, _groups: Collection[int]) -> bool:
        lat, lng = state["lat"], state["lng"]
        if lat is None or lng is None or not box.south <= lat <= box.north:
            return False
        if box.west <= box.east:
            return bool(box.west <= lng <= box.east)
        return bool(lng >= box.west or lng <= box.east)

    return test

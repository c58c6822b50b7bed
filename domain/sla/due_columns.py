"""The SLA's rules over a case's own columns, in SQL: whether a target is breached, and the
earliest due time not met yet.

A leaf below the case rules: the table view filters and orders by these, and the
case-change feed's snapshots keep the breach, without importing what writes the due times
(case_targets.py, whose `breaches` is the same rule in Python and must agree).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, literal, or_
from sqlalchemy import case as when

from db.models import Case
from db.models.base import UTCDateTime

# (due, met) of each target.
_TARGET_COLUMN_PAIRS = (
    (Case.sla_first_response_due_at, Case.sla_first_responded_at),
    (Case.sla_resolution_due_at, Case.sla_resolved_at),
)


def breached(now: datetime) -> ColumnElement[bool]:
    """A target not met when due: met late, or not met and due by `now`."""
    at = literal(now, UTCDateTime())
    return or_(
        *(
            and_(
                due.is_not(None),
                or_(and_(met.is_(None), due <= at), and_(met.is_not(None), met > due)),
            )
            for due, met in _TARGET_COLUMN_PAIRS
        )
    )


def unmet_due_column() -> ColumnElement[datetime | None]:
    """The earliest due time of a target not met yet; null when there is none."""
    first, resolution = (
        when((met.is_(None), due), else_=None) for due, met in _TARGET_COLUMN_PAIRS
    )
    return when(
        (first.is_(None), resolution),
        (resolution.is_(None), first),
        (first <= resolution, first),
        else_=resolution,
    )

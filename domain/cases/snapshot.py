"""A case's filter-relevant state, as the case-change feed stores it and table views match it.

Everything `CaseFilter` and `CaseScope` look at, as plain JSON: option ids, whether the
status is closed, the links, the assignees, the deadline (ISO 8601, fixed width, so that
text order is time order), the place, the tags and whether an SLA target is breached (as
of the moment the state is read: a breach comes with time alone). Read for many cases in
one statement.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, select
from sqlalchemy.orm import Session

from db.models import Case, CaseAssignedGroup, CaseAssignedUser, CaseStatus, CaseTag, Tag, utcnow
from domain.sla.due_columns import breached

Snapshot = dict[str, Any]


def moment(value: datetime) -> str:
    """A UTC time as the snapshot keeps it; comparable as text."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _id_list(dialect: str, column: Any, case_id: Any) -> Any:
    """The ids in `column` of the rows of this case, comma-separated, in one subquery."""
    if dialect == "postgresql":
        joined = func.string_agg(cast(column, String), ",")
    else:
        joined = func.group_concat(column, ",")
    return select(joined).where(case_id == Case.id).correlate(Case).scalar_subquery()


# Between tag names in one aggregated text: a tag holds no control characters (tags.py).
_TAG_SEPARATOR = "\x1f"


def _tag_keys(dialect: str) -> Any:
    """The case's tags, lower-cased, in one subquery."""
    if dialect == "postgresql":
        joined = func.string_agg(Tag.name_key, _TAG_SEPARATOR)
    else:
        joined = func.group_concat(Tag.name_key, _TAG_SEPARATOR)
    return (
        select(joined)
        .select_from(CaseTag)
        .join(Tag, Tag.id == CaseTag.tag_id)
        .where(CaseTag.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )


def _ids(text: str | None) -> list[int]:
    return sorted(int(part) for part in text.split(",")) if text else []


def read_snapshots(
    session: Session, which: ColumnElement[bool], as_of: datetime | None = None
) -> dict[int, tuple[int, Snapshot]]:
    """case id -> (tenant id, snapshot) of every case matching `which`, in one statement;
    its SLA breach as of `as_of` (now when None), as the table view's filter sees it.

    Runs on the synchronous session inside the ORM's own hooks (change_feed.py).
    """
    dialect = session.get_bind().dialect.name
    statement = (
        select(
            Case.id,
            Case.tenant_id,
            Case.status_id,
            CaseStatus.closed,
            Case.type_id,
            Case.priority_id,
            Case.customer_id,
            Case.project_id,
            Case.object_id,
            Case.contact_id,
            Case.responsible_id,
            Case.deadline,
            Case.lat,
            Case.lng,
            _id_list(dialect, CaseAssignedUser.user_id, CaseAssignedUser.case_id),
            _id_list(dialect, CaseAssignedGroup.group_id, CaseAssignedGroup.case_id),
            _tag_keys(dialect),
            breached(as_of or utcnow()),
        )
        .outerjoin(CaseStatus, CaseStatus.id == Case.status_id)
        .where(which)
    )
    found: dict[int, tuple[int, Snapshot]] = {}
    with session.no_autoflush:
        rows = session.execute(statement).all()
    for row in rows:
        found[row[0]] = (
            row[1],
            {
                "status": row[2],
                "closed": bool(row[3]),
                "type": row[4],
                "priority": row[5],
                "customer": row[6],
                "project": row[7],
                "object": row[8],
                "contact": row[9],
                "responsible": row[10],
                "deadline": moment(row[11]) if row[11] is not None else None,
                "lat": row[12],
                "lng": row[13],
                "users": _ids(row[14]),
                "groups": _ids(row[15]),
                "tags": sorted(row[16].split(_TAG_SEPARATOR)) if row[16] else [],
                "slaBreached": bool(row[17]),
            },
        )
    return found

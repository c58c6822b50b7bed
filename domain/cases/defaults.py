"""Default values of registration fields: how each is written in the settings, and checked.

TITLE, DESCRIPTION   text
COLOR                #rrggbb
an id field          the row's primary key, e.g. "12"
an id-list field     primary keys separated by commas, e.g. "3,7"
a yes/no field       "true" or "false"
DEADLINE             time from registration, ISO 8601: "P3D", "PT4H", "P1DT12H"
LOCATION             "lat,lng"
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import validation
from domain.cases.settings import BOOLEAN_FIELDS, ID_FIELDS, ID_LIST_FIELDS, CaseField
from domain.errors import Problems

_DURATION = re.compile(r"^P(?:(\d{1,4})D)?(?:T(?:(\d{1,5})H)?(?:(\d{1,6})M)?)?$")


def ids_of(raw: str) -> list[int] | None:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    return [int(p) for p in parts] if all(p.isdigit() for p in parts) else None


def duration_of(raw: str) -> timedelta | None:
    match = _DURATION.match(raw.strip().upper())
    if match is None or raw.strip().upper() in {"P", "PT"}:
        return None
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def location_of(raw: str) -> tuple[float, float] | None:
    lat, _, lng = raw.partition(",")
    try:
        return float(lat), float(lng)
    except ValueError:
        return None


def boolean_of(raw: str) -> bool | None:
    return {"true": True, "false": False}.get(raw.strip().lower())


def value_of(field: CaseField, raw: str, now: datetime) -> Any:
    """The stored default as the value a client would send (ids as primary keys)."""
    if field in ID_FIELDS:
        ids = ids_of(raw)
        return ids[0] if ids and len(ids) == 1 else None
    if field in ID_LIST_FIELDS:
        return ids_of(raw)
    if field in BOOLEAN_FIELDS:
        return boolean_of(raw)
    if field is CaseField.DEADLINE:
        duration = duration_of(raw)
        return now + duration if duration is not None else None
    if field is CaseField.LOCATION:
        return location_of(raw)
    return raw


async def clean_default(
    session: AsyncSession, problems: Problems, path: Sequence[str], field: CaseField, raw: str
) -> str | None:
    """The default in its stored form, or None (with a problem) when it is not valid."""
    raw = raw.strip()
    if not raw:
        return None
    if field in ID_FIELDS or field in ID_LIST_FIELDS:
        model = ID_FIELDS.get(field) or ID_LIST_FIELDS[field]
        ids = ids_of(raw)
        if ids is None or not ids or (field in ID_FIELDS and len(ids) != 1):
            problems.invalid(path, "Not a valid id for this field.")
            return None
        column: Any = model.id  # type: ignore[attr-defined]
        rows = list((await session.scalars(select(model).where(column.in_(ids)))).all())
        if len(rows) != len(set(ids)):
            problems.not_found(path, "The default")
            return None
        if any(getattr(row, "active", True) is False for row in rows):
            problems.invalid(path, "An inactive option cannot be the default.")
            return None
        return ",".join(str(i) for i in dict.fromkeys(ids))
    if field in BOOLEAN_FIELDS:
        if boolean_of(raw) is None:
            problems.invalid(path, "The default is true or false.")
            return None
        return raw.lower()
    if field is CaseField.DEADLINE:
        if duration_of(raw) is None:
            problems.invalid(path, "The default deadline is a time from registration: P3D, PT4H.")
            return None
        return raw.upper()
    if field is CaseField.LOCATION:
        point = location_of(raw)
        if point is None:
            problems.invalid(path, "The default location is written lat,lng.")
            return None
        checked = validation.location(problems, path, *point)
        return f"{checked[0]},{checked[1]}" if checked else None
    if field is CaseField.COLOR:
        return validation.color(problems, path, raw)
    multiline = field is CaseField.DESCRIPTION
    limit = 500 if field is CaseField.TITLE else 10_000
    return validation.text(
        problems, path, raw, "The default", max_length=limit, multiline=multiline
    )

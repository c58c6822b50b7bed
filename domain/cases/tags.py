"""Tags on cases: setting a case's list, and the tenant's tags in use with their counts.

A tag is one row per tenant and lower-cased name (`db/models/tags.py`), so every case that
carries it shows the same spelling: a tag another case already has keeps its spelling; one
that no other case has takes the spelling last given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, CaseTag, Tag, utcnow
from db.models.tags import TAG_MAX_LENGTH
from domain.cases.changes import locked_case
from domain.cases.event_log import Action, Actor, Change, record
from domain.cases.merging import refuse_merged
from domain.cases.search_text import refresh_search_text
from domain.errors import Problems

# A tag is one line of text: no control characters, tabs and line breaks included.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class TagCount:
    name: str
    count: int


def tag_key(tag: str) -> str:
    """What makes two spellings one tag: the trimmed name in lower case (å, ä, ö too)."""
    return tag.strip().lower()


def clean_tags(problems: Problems, path: Sequence[str], given: Sequence[str]) -> list[str]:
    """The tags trimmed, in the order given, each once whatever its letter case."""
    cleaned: dict[str, str] = {}
    for raw in given:
        tag = raw.strip()
        if not tag or len(tag) > TAG_MAX_LENGTH or _CONTROL.search(tag):
            if not problems.has_path(path):
                problems.invalid(
                    path, f"A tag is 1-{TAG_MAX_LENGTH} characters, without control characters."
                )
            continue
        cleaned.setdefault(tag_key(tag), tag)
    return list(cleaned.values())


def case_tag_names(case_ids: Sequence[int]) -> Select[int, str]:
    """(case id, tag name) of these cases' tags, each case's in its order."""
    return tag_names_where(lambda case_id: case_id.in_(case_ids))


def tag_names_where(cases: Callable[[Any], ColumnElement[bool]]) -> Select[int, str]:
    """(case id, tag name) of the tags of the cases `cases(case id column)` selects."""
    return (
        select(CaseTag.case_id, Tag.name)
        .join(Tag, Tag.id == CaseTag.tag_id)
        .where(cases(CaseTag.case_id))
        .order_by(CaseTag.case_id, CaseTag.position, CaseTag.tag_id)
    )


async def tags_of(session: AsyncSession, case_id: int) -> list[str]:
    return [name for _case_id, name in await session.execute(case_tag_names([case_id]))]


async def _tag_rows(session: AsyncSession, tenant_id: int, tags: Sequence[str]) -> dict[str, Tag]:
    """The tenant's row of each tag, by key; missing ones are made (concurrently: once)."""
    if not tags:
        return {}
    keys = [tag_key(t) for t in tags]
    found = {
        tag.name_key: tag
        for tag in await session.scalars(select(Tag).where(Tag.name_key.in_(keys)))
    }
    missing = [{"tenant_id": tenant_id, "name": t, "name_key": tag_key(t)} for t in tags]
    missing = [row for row in missing if row["name_key"] not in found]
    if missing:
        dialect = session.get_bind().dialect.name
        insert: Any = postgresql_insert if dialect == "postgresql" else sqlite_insert
        await session.execute(
            insert(Tag)
            .values(missing)
            .on_conflict_do_nothing(index_elements=["tenant_id", "name_key"])
        )
        made = select(Tag).where(Tag.name_key.in_([row["name_key"] for row in missing]))
        found.update({tag.name_key: tag for tag in await session.scalars(made)})
    return found


async def _carried_elsewhere(session: AsyncSession, case_id: int, tag_ids: list[int]) -> set[int]:
    """Which of these tags a case other than `case_id` carries."""
    carried = select(CaseTag.tag_id).where(CaseTag.tag_id.in_(tag_ids), CaseTag.case_id != case_id)
    return set(await session.scalars(carried.distinct()))


async def set_case_tags(
    session: AsyncSession, actor: Actor, case_id: int | None, given: Sequence[str]
) -> Case:
    """Replaces the case's tags with `given`, in that order; logs TAGS_CHANGED if that changes
    anything (spelling included)."""
    case = await locked_case(session, case_id, "caseId")
    problems = Problems()
    refuse_merged(problems, case, "caseId")
    wanted = clean_tags(problems, ("tags",), given)
    problems.raise_if_any()
    before = await tags_of(session, case.id)
    rows = await _tag_rows(session, case.tenant_id, wanted)
    elsewhere = await _carried_elsewhere(session, case.id, [tag.id for tag in rows.values()])
    after: list[str] = []
    for tag in wanted:
        row = rows[tag_key(tag)]
        if row.id not in elsewhere:
            row.name = tag
        after.append(row.name)
    if after == before:
        return case
    await session.execute(delete(CaseTag).where(CaseTag.case_id == case.id))
    session.add_all(
        CaseTag(case_id=case.id, tag_id=rows[tag_key(tag)].id, position=position)
        for position, tag in enumerate(wanted)
    )
    now = utcnow()
    case.updated_at = now
    change = Change("tags", ", ".join(before) or None, ", ".join(after) or None)
    record(session, case.id, actor, Action.TAGS_CHANGED, [change], now)
    await refresh_search_text(session, [case])
    return case


async def tags_in_use(
    session: AsyncSession, search_pattern: str | None, limit: int
) -> list[TagCount]:
    """The tenant's tags that some case carries, most carried first, then by name;
    `search_pattern` is a LIKE pattern (lower-case, `\\` as escape) on the name."""
    carried = func.count(CaseTag.case_id)
    statement = (
        select(Tag.name, carried)
        .join(CaseTag, CaseTag.tag_id == Tag.id)
        .group_by(Tag.id, Tag.name, Tag.name_key)
        .order_by(carried.desc(), Tag.name_key, Tag.id)
        .limit(limit)
    )
    if search_pattern is not None:
        statement = statement.where(Tag.name_key.like(search_pattern, escape="\\"))
    return [TagCount(name, int(count)) for name, count in await session.execute(statement)]

"""The statements a read plan runs: its root's rows, then one statement per nested source.

A root page is chosen from its table alone (filters, search, cursor, order and limit in a
subquery) and the single relations it asks for are outer-joined to the page's rows only.
A nested source reads the rows under every row its parent source read, in one statement:
a list through `IN`, a connection per parent with `db.pagination.fetch_pages`. All are ORM
statements of the operation's session, so the tenant criterion of `db/tenancy.py` applies
to every table, joined ones included (in their ON clause).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    Subquery,
    Text,
    bindparam,
    func,
    select,
    true,
)
from sqlalchemy import cast as cast_as
from sqlalchemy.ext.asyncio import AsyncSession

from db.pagination import (
    BadCursor,
    Page,
    SortKey,
    count_under,
    decode_cursor,
    group_pages,
    page_size,
    pages_statement,
)
from db.prepared import PreparedRead, in_ids
from domain.cases.tabs import check_conversations_tab, check_events_tab
from domain.cases.tags import tag_names_where
from graph.connections import fetch
from graph.context import Context
from graph.errors import bad_input
from graph.reads.plan import Columns, Plan, Source, State
from graph.reads.rows import ROW_TYPES, Children, Guard, Listed, Paged, TagNames

Own = Callable[[str], Any]


def _selected(columns: Columns, own: Own) -> list[Any]:
    """The columns `columns` wants, in their positions; the row's own through `own`."""
    selected = []
    for i, (path, name, as_text) in enumerate(columns.wanted):
        column = own(name) if not path else getattr(columns.alias(path), name)
        if as_text:
            column = cast_as(column, Text)
        selected.append(column.label(f"c{i}"))
    return selected


def _joined(statement: Select[Any], columns: Columns, own: Own) -> Select[Any]:
    for path, spec in columns.joined.items():
        alias = columns.alias(path)
        holder = own(spec.foreign_key) if len(path) == 1 else columns.alias(path[:-1])
        key = holder if len(path) == 1 else getattr(holder, spec.foreign_key)
        statement = statement.outerjoin(alias, alias.id == key)
    return statement


def flat(model: Any, columns: Columns, *leading: Any, link: Any = None) -> Select[Any]:
    """`leading` and the wanted columns of `model`'s rows, with their joins; from `link`, when
    given, joined to `model` on `link`'s key to it."""

    def own(name: str) -> Any:
        return getattr(model, name)

    statement = select(*leading, *_selected(columns, own))
    if link is None:
        statement = statement.select_from(model)
    else:
        table, on = link
        statement = statement.select_from(table).join(model, on)
    return _joined(statement, columns, own)


def deferred_join(
    statement: Select[Any], keys: list[SortKey], columns: Columns
) -> tuple[Select[Any], Callable[[Subquery], Select[Any]]]:
    """The page chosen from its table alone (its id, sort keys, own columns and the foreign
    keys of the relations), and the joins of those relations to the chosen rows."""
    model: Any = ROW_TYPES[columns.type_name].model
    own_names = dict.fromkeys(
        [name for path, name, _ in columns.wanted if not path]
        + [spec.foreign_key for path, spec in columns.joined.items() if len(path) == 1]
    )
    chosen: Select[Any] = statement.with_only_columns(
        model.id.label("page_id"),
        *(key.expression.label(f"key_{i}") for i, key in enumerate(keys)),
        *(getattr(model, name).label(f"own_{name}") for name in own_names),
        maintain_column_froms=True,
    )

    def join(page: Subquery) -> Select[Any]:
        def own(name: str) -> Any:
            return page.c[f"own_{name}"]

        joined = select(
            page.c.page_id,
            *(page.c[f"key_{i}"] for i in range(len(keys))),
            *_selected(columns, own),
        ).select_from(page)
        return _joined(joined, columns, own)

    return chosen, join


async def keep_join_order(context: Context, columns: Columns) -> None:
    """Plans a statement of many joins in the order it is written: the rows, then each row's
    relations. PostgreSQL would otherwise search every order of up to ten joins, which took
    ~15 ms of planning per request against ~4 ms of executing (measured on the bench data)."""

    async def keep(session: AsyncSession) -> None:
        if session.get_bind().dialect.name == "postgresql":
            await _KEEP_JOIN_ORDER.rows(session, {"setting": "join_collapse_limit", "to": "1"})

    if len(columns.joined) > 2:
        await context.scope.read(keep)


# For this transaction only (`is_local`).
_KEEP_JOIN_ORDER = PreparedRead(
    select(
        func.set_config(bindparam("setting", type_=Text()), bindparam("to", type_=Text()), true())
    )
)


async def read_page(
    context: Context,
    source: Source,
    statement: Select[Any],
    keys: list[SortKey],
    arguments: dict[str, Any],
) -> tuple[Page[Any], int | None]:
    """A root connection's page of `statement`, and its count when `totalCount` is asked."""
    await keep_join_order(context, source.columns)
    chosen, join = deferred_join(statement, keys, source.columns)
    found = await fetch(
        context.scope,
        chosen,
        keys,
        first=arguments.get("first"),
        after=arguments.get("after"),
        then_join=join,
    )
    count = None
    if source.counts:
        counted = select(func.count()).select_from(statement.order_by(None).subquery())
        count = int(await context.scope.read(lambda s: s.scalar(counted)) or 0)
    return found, count


async def read_all(context: Context, source: Source, order: tuple[str, ...]) -> list[Any]:
    """Every row of the source's type the tenant has, in `order`."""
    model: Any = ROW_TYPES[source.columns.type_name].model
    prepared = source.statements.get("all")
    if prepared is None:
        statement = flat(model, source.columns).order_by(*(getattr(model, n) for n in order))
        prepared = source.statements["all"] = PreparedRead(statement)
    return await _prepared(context, prepared, {})


async def read_row_where(
    context: Context, source: Source, pk: int, condition: ColumnElement[bool]
) -> list[Any]:
    """The row `pk` when it also meets `condition` (a viewer's reach): built per request."""
    model: Any = ROW_TYPES[source.columns.type_name].model
    statement = flat(model, source.columns).where(model.id == pk, condition)

    async def read(session: AsyncSession) -> list[Any]:
        return list((await session.execute(statement)).all())

    rows: list[Any] = await context.scope.read(read)
    return rows


async def read_row(context: Context, source: Source, pk: int) -> list[Any]:
    """The row `pk` of the source's type as a root reads it: none when not the tenant's."""
    model: Any = ROW_TYPES[source.columns.type_name].model
    await keep_join_order(context, source.columns)
    prepared = source.statements.get("row")
    if prepared is None:
        statement = flat(model, source.columns).where(
            model.id == bindparam("pk", type_=BigInteger())
        )
        prepared = source.statements["row"] = PreparedRead(statement)
    return await _prepared(context, prepared, {"pk": pk})


async def _prepared(
    context: Context, prepared: PreparedRead, parameters: dict[str, Any]
) -> list[Any]:
    rows: list[Any] = await context.scope.read(lambda s: prepared.rows(s, parameters))
    return rows


async def read_nested(
    context: Context,
    plan: Plan,
    state: State,
    rows_of: dict[Source, list[Any]],
    variables: Any,
) -> None:
    """Reads every nested source of `plan` into `state`, each in one statement, parents first;
    `rows_of` holds the rows of the root source."""
    for source in plan.nested:
        parent_rows = rows_of.get(source.parent) if source.parent is not None else None
        parent_ids = sorted({r[source.parent_at] for r in parent_rows or ()} - {None})
        spec = source.spec
        if isinstance(spec, Paged):
            pages, counts = await _pages(context, source, spec, parent_ids, variables)
            state[source] = pages
            if counts is not None:
                state[source.count_slot] = counts
            rows_of[source] = [row for page in pages.values() for row in page.extras]
            continue
        grouped: dict[int, list[Any]] = defaultdict(list)
        if parent_ids:
            if isinstance(spec, TagNames):
                prepared = source.statements.get("tags")
                if prepared is None:
                    prepared = source.statements["tags"] = PreparedRead(
                        tag_names_where(lambda case_id: in_ids(case_id, "parent_ids"))
                    )
                parameters = {"parent_ids": parent_ids}
                for case_id, name in await _prepared(context, prepared, parameters):
                    grouped[case_id].append(name)
            else:
                assert isinstance(spec, Listed | Children)
                archived = _includes_archived(source, spec, variables)
                prepared = source.statements.get(archived)
                if prepared is None:
                    prepared = source.statements[archived] = PreparedRead(
                        _listing(source, spec, archived)
                    )
                for row in await _prepared(context, prepared, {"parent_ids": parent_ids}):
                    grouped[row[0]].append(row)
        state[source] = grouped
        rows_of[source] = [row for rows in grouped.values() for row in rows]


def _includes_archived(source: Source, spec: Listed | Children | Paged, variables: Any) -> bool:
    """Whether archived rows are read: only where the field's `includeArchived` says so."""
    if isinstance(spec, Listed) or not spec.archived_argument:
        return True
    return bool(source.field.arguments(variables).get("includeArchived"))


def _listing(source: Source, spec: Listed | Children, archived: bool) -> Select[Any]:
    """The rows of a list relation under the parents, in the order its DataLoader gives."""
    model: Any = ROW_TYPES[spec.type_name].model
    if isinstance(spec, Listed):
        link: Any = spec.link
        parent = getattr(link, spec.parent_key)
        on = model.id == getattr(link, spec.link_key)
        statement = flat(model, source.columns, parent, link=(link, on))
        order = [model.name, model.id]
    else:
        parent = getattr(model, spec.parent_key)
        statement = flat(model, source.columns, parent)
        order = [getattr(model, name) for name in spec.order]
        if not archived:
            statement = statement.where(model.archived_at.is_(None))
    return statement.where(in_ids(parent, "parent_ids")).order_by(*order)


async def _pages(
    context: Context,
    source: Source,
    spec: Paged,
    parent_ids: list[int],
    variables: Any,
) -> tuple[dict[int, Page[Any]], dict[int, int] | None]:
    """Each parent's page of a connection under it, and each one's count when asked for."""
    arguments = source.field.arguments(variables)
    first, after = arguments.get("first"), arguments.get("after")
    if first is not None and first < 0:
        raise bad_input("`first` must not be negative.")
    if not parent_ids:
        return {}, ({} if source.counts else None)
    if spec.guard is not None:
        settings = await context.scope.loaders.module_settings.load(_tenant(context))
        if spec.guard is Guard.EVENTS_TAB:
            check_events_tab(settings)
        else:
            check_conversations_tab(settings, portal=spec.guard is Guard.PORTAL_CONVERSATIONS_TAB)
    model: Any = ROW_TYPES[spec.type_name].model
    parent = getattr(model, spec.parent_key)
    keys = [SortKey(getattr(model, name), spec.descending) for name in spec.order]
    archived = _includes_archived(source, spec, variables)
    built = source.statements.get(archived)
    if built is None:
        counted: Select[Any] = select(model.id)
        statement = flat(model, source.columns, model.id, *(key.expression for key in keys))
        if not archived:
            counted = counted.where(model.archived_at.is_(None))
            statement = statement.where(model.archived_at.is_(None))
        built = source.statements[archived] = (statement, counted)
    statement, counted = built

    try:
        values = decode_cursor(after, keys) if after is not None else None
    except BadCursor as error:
        raise bad_input(str(error)) from error
    # One statement per shape: with or without a cursor, and which of its values are null.
    shape = (archived, None if values is None else tuple(v is None for v in values))
    pages_read = source.statements.get(shape)
    if pages_read is None:
        bound = None
        if values is not None:
            bound = [
                None if v is None else bindparam(f"after_{i}", type_=key.expression.type)
                for i, (key, v) in enumerate(zip(keys, values, strict=True))
            ]
        parents = in_ids(parent, "parent_ids")
        limit = bindparam("limit", type_=Integer())
        pages_read = source.statements[shape] = PreparedRead(
            pages_statement(statement, keys, parent, parents, limit, bound)
        )
    size = page_size(first)
    parameters = {"parent_ids": parent_ids, "limit": size + 1}
    for i, v in enumerate(values or ()):
        if v is not None:
            parameters[f"after_{i}"] = v
    rows = await _prepared(context, pages_read, parameters)
    pages = group_pages(rows, parent_ids, size, len(keys), has_previous=after is not None)
    counts = None
    if source.counts:
        counts = await context.scope.read(lambda s: count_under(s, counted, parent, parent_ids))
    return pages, counts


def _tenant(context: Context) -> int:
    return context.signed_in().tenant_id

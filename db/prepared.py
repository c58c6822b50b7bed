"""Reads compiled once and run as the driver's own SQL: for statements built once and run often.

`Session.execute` spends most of a small read's CPU before the database sees it: every time,
it walks the statement to make its cache key and sets up the ORM's compile state. A
`PreparedRead` is compiled once per dialect, with the tenant criterion of `db/tenancy.py`
compiled in (`scoped_by_parameter`: the options the session adds to every ORM statement,
the tenant bound when it runs), and then runs through the session's connection and
transaction as the driver's SQL, each parameter and column through SQLAlchemy's own bind
and result processors,
so rows come back as `Session.execute` would give them. A list of ids is one parameter
(`in_ids`): an array on PostgreSQL, JSON on SQLite, so the SQL text never changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, BigInteger, BindParameter, ColumnElement, Select, String, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeDecorator

from db.tenancy import TENANT_PARAMETER, scoped_by_parameter, session_tenant


class IdList(TypeDecorator[list[int]]):
    """A list of ids as one parameter: BIGINT[] on PostgreSQL, a JSON array elsewhere."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(BigInteger))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: list[int] | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return json.dumps(list(value))


class InIds(ColumnElement[bool]):
    """`column` is one of the ids bound to `name`."""

    inherit_cache = True

    def __init__(self, column: Any, name: str) -> None:
        self.column = column
        self.ids: BindParameter[list[int]] = bindparam(name, type_=IdList())


# Both put together what the compiler made of the column and of the bound parameter.
@compiles(InIds)
def _in_json(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return column + " IN (SELECT value FROM json_each(" + ids + "))"


@compiles(InIds, "postgresql")
def _in_array(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return column + " = ANY(" + ids + ")"


def in_ids(column: Any, name: str) -> ColumnElement[bool]:
    return InIds(column, name)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in the order the driver takes them
    binds: Mapping[str, Callable[[Any], Any] | None]
    results: Sequence[Callable[[Any], Any] | None]


class PreparedRead:
    """A SELECT whose every value is a bound parameter, run without Session.execute.

    It reads in its session's tenant; `across_tenants` is for the one read that finds the
    tenant (a sign-in token's), which runs in a session of no tenant and is not scoped.
    """

    def __init__(
        self, statement: Select[*tuple[Any, ...]], *, across_tenants: bool = False
    ) -> None:
        self.statement = statement
        self.across_tenants = across_tenants
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        statement = self.statement
        if not self.across_tenants:
            statement = scoped_by_parameter(statement)
        compiled = statement.compile(dialect=dialect)
        if any(bind.value is not None or bind.callable for bind in compiled.binds.values()):
            raise ValueError("a prepared read takes every value as a parameter")
        binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        names = tuple(compiled.positiontup or ())
        return _Compiled(compiled.string, names, binds, [])

    def _results(
        self, dialect: Dialect, description: Sequence[Sequence[Any]]
    ) -> list[Callable[[Any], Any] | None]:
        """Each column's result processor, for the driver's type of it (a float column of
        PostgreSQL needs none, a numeric one does)."""
        return [
            column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            for column, described in zip(self.statement.selected_columns, description, strict=True)
        ]

    async def rows(self, session: AsyncSession, parameters: dict[str, Any]) -> list[Sequence[Any]]:
        tenant = session_tenant(session.sync_session)
        if (tenant is None) != self.across_tenants:
            raise RuntimeError(
                "a prepared read runs in a tenant's session, one across tenants in none"
            )
        connection = await session.connection()
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compile(dialect)
        given = parameters if tenant is None else {**parameters, TENANT_PARAMETER: tenant}
        values = []
        for name in compiled.names:
            value = given[name]
            process = compiled.binds[name]
            values.append(value if process is None else process(value))
        result = await connection.exec_driver_sql(compiled.sql, tuple(values))
        processors = compiled.results
        if dialect.name not in self._compiled:
            description = result.cursor.description if result.cursor is not None else None
            if description is None:
                raise RuntimeError("the driver did not describe a prepared read's columns")
            processors = self._results(dialect, description)
            self._compiled[dialect.name] = _Compiled(
                compiled.sql, compiled.names, compiled.binds, processors
            )
        if not any(processors):
            return list(result.all())
        return [
            tuple(v if p is None else p(v) for v, p in zip(row, processors, strict=True))
            for row in result.all()
        ]

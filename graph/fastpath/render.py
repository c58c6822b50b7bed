"""Renders a page of the table view from rows, along a compiled selection, into response dicts.

Each field is turned, once per compiled document, into a closure that knows where its
columns are in the row (see `rows.py` for what each field reads), so rendering a row is a
few calls per value. Leaves go through the schema's own `serialize`; objects that are not
rows (a location, the page info, a custom field) are rendered from the Strawberry objects
normal execution would build, through Strawberry's default resolver. Where normal execution
would report an error (a null in a non-null position) the renderer gives up with
`Unsupported`, and normal execution answers instead.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import orjson
from graphql import (
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLString,
    get_named_type,
)

from db.pagination import Page
from domain.custom_fields import FieldDefinition, definitions_of
from graph.fastpath.rows import (
    ROW_TYPES,
    CustomFields,
    Joined,
    Listed,
    RowType,
    TagNames,
    Value,
)
from graph.fastpath.selection import Field, Kind, Unsupported
from graph.types.base import PageInfo

# Per request: memoised renderings and the listed rows, by the slot of the field asking.
State = dict[object, Any]
# (value, state) -> its response value
Complete = Callable[[Any, State], Any]
# (row, state) -> a field's response value
Read = Callable[[Any, State], Any]


class Columns:
    """Where each (relation, column) a plan reads sits in its rows; relation None: the row's
    own table, else the name of the case field whose joined row it is."""

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset
        # (relation, column, read as its JSON text rather than parsed) -> position
        self.wanted: dict[tuple[str | None, str, bool], int] = {}

    def at(self, relation: str | None, name: str, *, as_text: bool = False) -> int:
        key = (relation, name, as_text)
        return self.offset + self.wanted.setdefault(key, len(self.wanted))


class PagePlan:
    """A compiled `cases` selection: what to read, and how to render what was read."""

    def __init__(self, root: Field) -> None:
        self.page = Columns()
        # One statement per list relation, its rows being (case id, *columns).
        self.listed: dict[Listed, Columns] = {}
        # The case's tags, when selected: (case id, name) rows in one statement.
        self.tags: TagNames | None = None
        self.counts = False
        self._fields = [(child.key, self._connection_field(child)) for child in root.children]

    @property
    def joins(self) -> list[str]:
        return list(dict.fromkeys(r for r, _, _ in self.page.wanted if r is not None))

    def render(self, found: Page[Any], count: int | None, listed: State) -> dict[str, Any]:
        state: State = dict(listed)
        return {key: render(found, count, state) for key, render in self._fields}

    def _connection_field(self, field: Field) -> Callable[[Page[Any], int | None, State], Any]:
        if field.kind is Kind.TYPENAME:
            name = field.parent_name
            return lambda _found, _count, _state: name
        if field.name == "totalCount":
            self.counts = True
            complete = compile_completion(field.type, field)
            return lambda _found, count, state: complete(count, state)
        if field.name == "pageInfo":
            complete = compile_completion(field.type, field)
            return lambda found, _count, state: complete(_page_info(found), state)
        if field.name == "edges":
            edge = self._edge(field)
            return lambda found, _count, state: [
                edge(cursor, row, state)
                for cursor, row in zip(found.cursors, found.extras, strict=True)
            ]
        raise Unsupported(f"{field.parent_name}.{field.name}")

    def _edge(self, field: Field) -> Callable[[str, Any, State], dict[str, Any]]:
        parts = [(child.key, self._edge_field(child)) for child in field.children]
        return lambda cursor, row, state: {key: part(cursor, row, state) for key, part in parts}

    def _edge_field(self, field: Field) -> Callable[[str, Any, State], Any]:
        if field.kind is Kind.TYPENAME:
            name = field.parent_name
            return lambda _cursor, _row, _state: name
        if field.name == "cursor":
            leaf = compile_completion(field.type, field)
            return lambda cursor, _row, state: leaf(cursor, state)
        if field.name == "node":
            node = self._row("Case", field.children, self.page, None)
            return lambda _cursor, row, state: node(row, state)
        raise Unsupported(f"{field.parent_name}.{field.name}")

    def _row(
        self, type_name: str, fields: tuple[Field, ...], columns: Columns, relation: str | None
    ) -> Read:
        row_type = ROW_TYPES[type_name]
        reads = [
            (f.key, self._row_field(row_type, type_name, f, columns, relation)) for f in fields
        ]
        return lambda row, state: {key: read(row, state) for key, read in reads}

    def _row_field(
        self,
        row_type: RowType,
        type_name: str,
        field: Field,
        columns: Columns,
        relation: str | None,
    ) -> Read:
        if field.kind is Kind.TYPENAME:
            return lambda _row, _state: type_name
        spec = row_type.fields.get(field.name)
        if spec is None:
            raise Unsupported(f"{type_name}.{field.name}")
        if isinstance(spec, Value):
            return _value(spec, field, [columns.at(relation, c) for c in spec.columns])
        if isinstance(spec, Joined):
            return self._joined(spec, field, columns)
        if isinstance(spec, Listed):
            return self._listed(spec, field, columns.at(relation, "id"))
        if isinstance(spec, TagNames):
            return self._tag_names(spec, field, columns.at(relation, "id"))
        return self._custom_fields(spec, field, columns)

    def _joined(self, spec: Joined, field: Field, columns: Columns) -> Read:
        """Each distinct related row is rendered once per request (three statuses, not fifty)."""
        relation = field.name
        key_at = columns.at(relation, "id")
        render = self._row(spec.type_name, field.children, columns, relation)
        required = isinstance(field.type, GraphQLNonNull)
        slot = object()

        def joined(row: Any, state: State) -> Any:
            # An outer join that found nothing (no foreign key, or another tenant's row).
            key = row[key_at]
            if key is None:
                if required:
                    raise Unsupported(f"null for non-null Case.{relation}")
                return None
            rendered: dict[Hashable, Any] = state.setdefault(slot, {})
            found = rendered.get(key)
            if found is None:
                found = rendered[key] = render(row, state)
            return found

        return joined

    def _listed(self, spec: Listed, field: Field, case_id_at: int) -> Read:
        columns = self.listed.setdefault(spec, Columns(offset=1))
        key_at = columns.at(None, "id")
        render = self._row(spec.type_name, field.children, columns, None)
        slot = object()

        def listed(row: Any, state: State) -> list[Any]:
            rendered: dict[Hashable, Any] = state.setdefault(slot, {})
            items = []
            for item in state[spec].get(row[case_id_at], ()):
                key = item[key_at]
                found = rendered.get(key)
                if found is None:
                    found = rendered[key] = render(item, state)
                items.append(found)
            return items

        return listed

    def _tag_names(self, spec: TagNames, field: Field, case_id_at: int) -> Read:
        self.tags = spec
        complete = compile_completion(field.type, field)
        return lambda row, state: complete(state[spec].get(row[case_id_at], []), state)

    def _custom_fields(self, spec: CustomFields, field: Field, columns: Columns) -> Read:
        """What `Case.custom_fields` gives: one value per field of the case's type, in order.

        Only the value differs between cases of a type: each item's other keys are rendered
        once per type, and copied (in the selection's order) with the case's value. The type's
        definitions come as JSON text, parsed once per type rather than once per row.
        """
        values_at = columns.at(None, "custom_fields")
        type_at = columns.at(spec.relation, "id")
        definitions_at = columns.at(spec.relation, "fields", as_text=True)
        item = _custom_field_value(field)
        slot = object()

        def custom_fields(row: Any, state: State) -> list[dict[str, Any]]:
            type_id = row[type_at]
            per_type: dict[Hashable, Any] = state.setdefault(slot, {})
            templates = per_type.get(type_id)
            if templates is None:
                text = row[definitions_at] if type_id is not None else None
                raw = orjson.loads(text) if text is not None else None
                templates = per_type[type_id] = [item.template(d) for d in definitions_of(raw)]
            values = row[values_at] or {}
            return [item.fill(template, values.get(key)) for key, template in templates]

        return custom_fields


class _CustomFieldValueItem:
    """Renders a `CustomFieldValue` as its field `key`, `label` and `value` give it."""

    def __init__(self, field: Field) -> None:
        self.constant: dict[str, Callable[[FieldDefinition], Any]] = {}
        self.value_keys: list[str] = []
        self.value = compile_completion(GraphQLString, field)
        for child in field.children:
            if child.kind is Kind.TYPENAME:
                self.constant[child.key] = _typename_of(child.parent_name)
            elif child.name == "key":
                self.constant[child.key] = lambda d: d.key
            elif child.name == "label":
                self.constant[child.key] = lambda d: d.label
            elif child.name == "value":
                self.value = compile_completion(child.type, child)
                self.value_keys.append(child.key)
            else:
                raise Unsupported(f"{child.parent_name}.{child.name}")
        self.order = [child.key for child in field.children]

    def template(self, definition: FieldDefinition) -> tuple[str, dict[str, Any]]:
        # The keys in the selection's order; the value's place is held until `fill`.
        return definition.key, {
            key: self.constant[key](definition) if key in self.constant else None
            for key in self.order
        }

    def fill(self, template: dict[str, Any], value: Any) -> dict[str, Any]:
        rendered = dict(template)
        for key in self.value_keys:
            rendered[key] = self.value(value, {})
        return rendered


def _typename_of(name: str) -> Callable[[FieldDefinition], str]:
    return lambda _definition: name


def _custom_field_value(field: Field) -> _CustomFieldValueItem:
    named = get_named_type(field.type)
    if named is None or named.name != "CustomFieldValue":
        raise Unsupported(f"{field.parent_name}.{field.name}")
    return _CustomFieldValueItem(field)


def _page_info(found: Page[Any]) -> PageInfo:
    cursors = found.cursors
    return PageInfo(
        has_next_page=found.has_next,
        has_previous_page=found.has_previous,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


def _value(spec: Value, field: Field, at: list[int]) -> Read:
    complete = compile_completion(field.type, field)
    read = spec.read
    if read is None:
        (only,) = at
        return lambda row, state: complete(row[only], state)
    if len(at) == 1:
        (only,) = at
        return lambda row, state: complete(read(row[only]), state)
    return lambda row, state: complete(read(*[row[i] for i in at]), state)


def compile_completion(type_: GraphQLOutputType, field: Field) -> Complete:
    """Completes a resolved Python value as graphql-core would; objects by their attributes."""
    if isinstance(type_, GraphQLNonNull):
        inner = compile_completion(type_.of_type, field)

        def non_null(value: Any, state: State) -> Any:
            completed = inner(value, state)
            if completed is None:
                raise Unsupported(f"null for non-null {field.parent_name}.{field.name}")
            return completed

        return non_null
    if isinstance(type_, GraphQLList):
        item = compile_completion(type_.of_type, field)

        def listed(value: Any, state: State) -> Any:
            return None if value is None else [item(v, state) for v in value]

        return listed
    if isinstance(type_, GraphQLLeafType):
        serialize = type_.serialize
        # What graphql-core's String and ID give a str: the str itself.
        text = type_ is GraphQLString or type_ is GraphQLID

        def leaf(value: Any, _state: State) -> Any:
            if value is None:
                return None
            if text and type(value) is str:
                return value
            serialized = serialize(value)
            if serialized is None:
                raise Unsupported(f"{field.parent_name}.{field.name} did not serialize")
            return serialized

        return leaf
    children = [(child.key, _attribute(child)) for child in field.children]

    def rendered(value: Any, state: State) -> Any:
        if value is None:
            return None
        return {key: render(value, state) for key, render in children}

    return rendered


def _attribute(field: Field) -> Complete:
    """A field of an object that is not a row: Strawberry's default resolver, then completion."""
    if field.kind is Kind.TYPENAME:
        type_name = field.parent_name
        return lambda _source, _state: type_name
    if field.kind is not Kind.BASIC:
        raise Unsupported(f"{field.parent_name}.{field.name} has a resolver")
    definition = field.definition
    assert definition is not None
    complete = compile_completion(field.type, field)
    default_resolver, name = definition.default_resolver, definition.python_name
    return lambda source, state: complete(default_resolver(source, name), state)

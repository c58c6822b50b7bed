"""A read plan: a compiled selection, the row sources it reads, and how rows become the response.

Each field is turned, once per compiled document, into a closure that knows where its
columns are in the rows (see `rows.py` for what each field reads), so rendering a row is a
few calls per value. A plan reads from `Source`s: the root's rows, and one statement per
list, connection or tag field under them (whatever the nesting: a case's comments' mentions
are one statement for every comment of every case). Single related rows (`Joined`) are
outer-joined to the rows of their source, at any depth, and each distinct one is rendered
once per request. Leaves go through the schema's own `serialize`; objects that are not rows
(a location, the page info, a custom field, an event's changes) are rendered from the
Strawberry objects normal execution would build, through Strawberry's default resolver.
Where normal execution would report an error (a null in a non-null position) rendering
gives up with `Unsupported`, and normal execution answers instead.
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
from sqlalchemy.orm import aliased

from db.pagination import Page
from domain.custom_fields import FieldDefinition, definitions_of
from graph.reads.rows import (
    ROW_TYPES,
    Children,
    CustomFields,
    Joined,
    Listed,
    Paged,
    RowType,
    TagNames,
    Through,
    Value,
)
from graph.reads.selection import Field, Kind, Unsupported
from graph.types.base import PageInfo

# Per request: what each source read, memoised renderings, by the slot of the field asking.
State = dict[object, Any]
# (value, state) -> its response value
Complete = Callable[[Any, State], Any]
# (row, state) -> a field's response value
Read = Callable[[Any, State], Any]
# The single relations from a source's own row to a joined one: () is the row itself.
Path = tuple[str, ...]
# What a connection field renders from: its page, its count when asked for, the request's state.
RenderConnection = Callable[[Page[Any], int | None, State], dict[str, Any]]

# The arguments a planned list or connection may take; any other sends the document on.
_PAGING = {"first", "after", "includeArchived"}


class Columns:
    """Where each (path, column) a source reads sits in its rows, and which single relations
    are joined to them (in an order where each comes after the one it hangs from)."""

    def __init__(self, type_name: str, offset: int = 0) -> None:
        self.type_name = type_name
        self.offset = offset
        # (path, column, read as its JSON text rather than parsed) -> position
        self.wanted: dict[tuple[Path, str, bool], int] = {}
        self.joined: dict[Path, Joined] = {}
        self._aliases: dict[Path, Any] = {}

    def at(self, path: Path, name: str, *, as_text: bool = False) -> int:
        key = (path, name, as_text)
        return self.offset + self.wanted.setdefault(key, len(self.wanted))

    def join(self, path: Path, spec: Joined) -> None:
        self.joined.setdefault(path, spec)

    def alias(self, path: Path) -> Any:
        """The joined table's alias in this source's statement (made once per plan)."""
        made = self._aliases.get(path)
        if made is None:
            model = ROW_TYPES[self.joined[path].type_name].model
            made = self._aliases[path] = aliased(model, name=f"j{len(self._aliases)}")
        return made


class Source:
    """Rows read in one statement: a root's, or those under every row of `parent` (the id at
    `parent_at` in its rows) for a list, connection or tag field."""

    def __init__(
        self,
        field: Field,
        columns: Columns,
        spec: Listed | Children | Paged | TagNames | None = None,
        parent: Source | None = None,
        parent_at: int = 0,
    ) -> None:
        self.field = field
        self.columns = columns
        self.spec = spec
        self.parent = parent
        self.parent_at = parent_at
        self.counts = False  # whether `totalCount` is selected on this connection
        self.count_slot = object()
        # Its statements, built once per plan (by what varies between requests) and run with
        # bound parameters: building one costs more than running it.
        self.statements: dict[Hashable, Any] = {}


class Plan:
    """The sources a compiled selection reads, in an order where each parent comes first;
    `portal`: for a customer-portal viewer, who is refused every staff-only field."""

    def __init__(self, *, portal: bool = False) -> None:
        self.nested: list[Source] = []
        self.portal = portal

    # Connections (a root's, or one under a row) ------------------------------------------

    def connection(self, field: Field, source: Source) -> RenderConnection:
        parts = [(child.key, self._connection_field(child, source)) for child in field.children]
        return lambda found, count, state: {key: part(found, count, state) for key, part in parts}

    def _connection_field(
        self, field: Field, source: Source
    ) -> Callable[[Page[Any], int | None, State], Any]:
        if field.kind is Kind.TYPENAME:
            name = field.parent_name
            return lambda _found, _count, _state: name
        if field.name == "totalCount":
            source.counts = True
            complete = compile_completion(field.type, field)
            return lambda _found, count, state: complete(count, state)
        if field.name == "pageInfo":
            complete = compile_completion(field.type, field)
            return lambda found, _count, state: complete(_page_info(found), state)
        if field.name == "edges":
            edge = self._edge(field, source)
            return lambda found, _count, state: [
                edge(cursor, row, state)
                for cursor, row in zip(found.cursors, found.extras, strict=True)
            ]
        raise Unsupported(f"{field.parent_name}.{field.name}")

    def _edge(self, field: Field, source: Source) -> Callable[[str, Any, State], dict[str, Any]]:
        parts = [(child.key, self._edge_field(child, source)) for child in field.children]
        return lambda cursor, row, state: {key: part(cursor, row, state) for key, part in parts}

    def _edge_field(self, field: Field, source: Source) -> Callable[[str, Any, State], Any]:
        if field.kind is Kind.TYPENAME:
            name = field.parent_name
            return lambda _cursor, _row, _state: name
        if field.name == "cursor":
            leaf = compile_completion(field.type, field)
            return lambda cursor, _row, state: leaf(cursor, state)
        if field.name == "node":
            node = self.row(source.columns.type_name, field.children, source.columns, (), source)
            return lambda _cursor, row, state: node(row, state)
        raise Unsupported(f"{field.parent_name}.{field.name}")

    # Rows ---------------------------------------------------------------------------------

    def row(
        self,
        type_name: str,
        fields: tuple[Field, ...],
        columns: Columns,
        path: Path,
        source: Source,
    ) -> Read:
        """Renders the row of `type_name` at `path` of `source`'s rows."""
        row_type = ROW_TYPES.get(type_name)
        if row_type is None:
            raise Unsupported(type_name)
        reads = [
            (f.key, self._row_field(row_type, type_name, f, columns, path, source)) for f in fields
        ]
        return lambda row, state: {key: read(row, state) for key, read in reads}

    def _row_field(
        self,
        row_type: RowType,
        type_name: str,
        field: Field,
        columns: Columns,
        path: Path,
        source: Source,
    ) -> Read:
        if field.kind is Kind.TYPENAME:
            return lambda _row, _state: type_name
        spec = row_type.fields.get(field.name)
        if spec is None or (self.portal and field.name in row_type.staff_only):
            raise Unsupported(f"{type_name}.{field.name}")
        arguments = set(field.graphql_field.args) if field.graphql_field is not None else set()
        if arguments and not (isinstance(spec, Children | Paged) and arguments <= _PAGING):
            raise Unsupported(f"{type_name}.{field.name} takes arguments")
        if isinstance(spec, Value):
            return _value(spec, field, [columns.at(path, c) for c in spec.columns])
        if isinstance(spec, Joined):
            return self._joined(spec, field, columns, path, source)
        if isinstance(spec, Through):
            joined_path = (*path, f"{spec.foreign_key}->")
            columns.join(joined_path, Joined(spec.foreign_key, spec.type_name))
            complete = compile_completion(field.type, field)
            at, read = columns.at(joined_path, spec.column), spec.read
            return lambda row, state: complete(read(row[at]), state)
        if isinstance(spec, Listed | Children):
            return self._listed(spec, field, columns, path, source)
        if isinstance(spec, Paged):
            return self._paged(spec, field, columns, path, source)
        if isinstance(spec, TagNames):
            return self._tag_names(spec, field, columns, path, source)
        return self._custom_fields(spec, field, columns, path, row_type)

    def _under(
        self,
        spec: Listed | Children | Paged | TagNames,
        field: Field,
        columns: Columns,
        path: Path,
        source: Source,
        type_name: str,
    ) -> Source:
        offset = 0 if isinstance(spec, Paged) else 1  # list rows lead with their parent's id
        nested = Source(field, Columns(type_name, offset), spec, source, columns.at(path, "id"))
        self.nested.append(nested)
        return nested

    def _joined(
        self, spec: Joined, field: Field, columns: Columns, path: Path, source: Source
    ) -> Read:
        """Each distinct related row is rendered once per request (three statuses, not fifty)."""
        joined_path = (*path, field.name)
        columns.join(joined_path, spec)
        key_at = columns.at(joined_path, "id")
        render = self.row(spec.type_name, field.children, columns, joined_path, source)
        required = isinstance(field.type, GraphQLNonNull)
        slot = object()
        where = f"{field.parent_name}.{field.name}"

        def joined(row: Any, state: State) -> Any:
            # An outer join that found nothing (no foreign key, or another tenant's row).
            key = row[key_at]
            if key is None:
                if required:
                    raise Unsupported(f"null for non-null {where}")
                return None
            rendered: dict[Hashable, Any] = state.setdefault(slot, {})
            found = rendered.get(key)
            if found is None:
                found = rendered[key] = render(row, state)
            return found

        return joined

    def _listed(
        self, spec: Listed | Children, field: Field, columns: Columns, path: Path, source: Source
    ) -> Read:
        nested = self._under(spec, field, columns, path, source, spec.type_name)
        parent_at = nested.parent_at
        key_at = nested.columns.at((), "id")
        render = self.row(spec.type_name, field.children, nested.columns, (), nested)
        slot = object()

        def listed(row: Any, state: State) -> list[Any]:
            rendered: dict[Hashable, Any] = state.setdefault(slot, {})
            items = []
            for item in state[nested].get(row[parent_at], ()):
                key = item[key_at]
                found = rendered.get(key)
                if found is None:
                    found = rendered[key] = render(item, state)
                items.append(found)
            return items

        return listed

    def _paged(
        self, spec: Paged, field: Field, columns: Columns, path: Path, source: Source
    ) -> Read:
        nested = self._under(spec, field, columns, path, source, spec.type_name)
        parent_at = nested.parent_at
        render = self.connection(field, nested)
        count_slot = nested.count_slot

        def paged(row: Any, state: State) -> dict[str, Any]:
            parent_id = row[parent_at]
            counts = state.get(count_slot)
            count = None if counts is None else counts[parent_id]
            return render(state[nested][parent_id], count, state)

        return paged

    def _tag_names(
        self, spec: TagNames, field: Field, columns: Columns, path: Path, source: Source
    ) -> Read:
        nested = self._under(spec, field, columns, path, source, "Case")
        parent_at = nested.parent_at
        complete = compile_completion(field.type, field)
        return lambda row, state: complete(state[nested].get(row[parent_at], []), state)

    def _custom_fields(
        self, spec: CustomFields, field: Field, columns: Columns, path: Path, row_type: RowType
    ) -> Read:
        """What `Case.custom_fields` gives: one value per field of the case's type, in order.

        Only the value differs between cases of a type: each item's other keys are rendered
        once per type, and copied (in the selection's order) with the case's value. The type's
        definitions come as JSON text, parsed once per type rather than once per row.
        """
        type_path = (*path, spec.relation)
        relation = row_type.fields[spec.relation]
        assert isinstance(relation, Joined)
        columns.join(type_path, relation)
        values_at = columns.at(path, "custom_fields")
        type_at = columns.at(type_path, "id")
        definitions_at = columns.at(type_path, "fields", as_text=True)
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

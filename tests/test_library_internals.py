"""What graph/library_internals.py relies on in Strawberry and graphql-core still holds.

None of it is public API: a new release of either library may change it without notice.
Each test here states one thing the module relies on, against a small schema of its own,
so an upgrade that breaks it fails here by name rather than somewhere downstream.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

import httpx
import pytest
import strawberry
from cross_web import HTTPException
from graphql import (
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    GraphQLString,
    OverlappingFieldsCanBeMergedRule,
    ValidationContext,
    parse,
    specified_rules,
    validate,
)
from graphql.execution import Executor, get_argument_values
from strawberry.asgi import GraphQL
from strawberry.extensions import SchemaExtension

from graph.library_internals import (
    STRAWBERRY_VALIDATION_RULES,
    StrawberryExecutionContext,
    UnsetType,
    delivered_incrementally,
    field_nodes,
    graphql_schema,
    is_operation_type_refusal,
    limit_overlap_comparisons,
    log_fault,
    resolver_arguments,
    root_fields,
    strawberry_field,
    subfields,
)
from graph.suggestions import ExecutionWithoutSuggestions


@strawberry.enum
class Shade(Enum):
    LIGHT = "light"
    DARK = "dark"


@strawberry.input
class Window:
    first: int = 10
    after: str | None = None


received: list[dict[str, Any]] = []


@strawberry.type
class Item:
    name: str


@strawberry.type
class Query:
    title: str = "Ärenden"

    @strawberry.field
    def items(
        self, shade: Shade = Shade.LIGHT, window: Window | None = None, word: str | None = None
    ) -> list[Item]:
        received.append({"shade": shade, "window": window, "word": word})
        return [Item(name="Läckage")]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def touch(self) -> bool:
        return True


SCHEMA = strawberry.Schema(query=Query, mutation=Mutation)


def test_the_graphql_core_schema_is_the_one_strawberry_built() -> None:
    built = graphql_schema(SCHEMA)
    assert isinstance(built, GraphQLSchema)
    assert built is graphql_schema(SCHEMA)
    assert built.query_type is not None
    assert set(built.query_type.fields) == {"title", "items"}
    assert set(built.query_type.fields["items"].args) == {"shade", "window", "word"}


def test_a_graphql_core_field_names_the_strawberry_field_it_was_made_from() -> None:
    query = graphql_schema(SCHEMA).query_type
    assert query is not None
    items = strawberry_field(query.fields["items"])
    title = strawberry_field(query.fields["title"])
    assert items is not None and title is not None
    assert (items.python_name, items.is_basic_field) == ("items", False)
    assert (title.python_name, title.is_basic_field) == ("title", True)
    assert title.default_resolver(Query(), title.python_name) == "Ärenden"
    assert strawberry_field(GraphQLField(GraphQLString)) is None


@pytest.mark.parametrize(
    "document",
    [
        "{ items { name } }",
        '{ items(shade: DARK, window: {first: 3}, word: "tvätt") { name } }',
        "{ items(window: {after: null}, word: null) { name } }",
    ],
)
def test_resolver_arguments_are_what_strawberry_passes_the_resolver(document: str) -> None:
    received.clear()
    result = SCHEMA.execute_sync(document)
    assert result.errors is None
    (passed,) = received
    built = graphql_schema(SCHEMA)
    query = built.query_type
    assert query is not None
    executor = Executor.build(built, parse(document))
    assert isinstance(executor, Executor)
    (details,) = root_fields(executor, query).values()
    values = get_argument_values(
        query.fields["items"], field_nodes(details)[0], executor.variable_values
    )
    definition = strawberry_field(query.fields["items"])
    assert definition is not None
    assert resolver_arguments(SCHEMA, definition, values) == passed


def test_fields_are_collected_by_response_key_with_their_nodes() -> None:
    built = graphql_schema(SCHEMA)
    query = built.query_type
    assert query is not None
    document = parse(
        """query($bare: Boolean!) {
             heading: title
             items { ...Named @skip(if: $bare) }
             items { name }
             ... on Query { title }
           }
           fragment Named on Item { name }"""
    )
    executor = Executor.build(built, document, raw_variable_values={"bare": False})
    assert isinstance(executor, Executor)
    grouped = root_fields(executor, query)
    assert list(grouped) == ["heading", "items", "title"]
    assert [n.name.value for n in field_nodes(grouped["heading"])] == ["title"]
    assert len(field_nodes(grouped["items"])) == 2
    item = built.get_type("Item")
    assert item is not None
    names = subfields(executor, item, grouped["items"])  # type: ignore[arg-type]
    assert list(names) == ["name"]
    assert len(field_nodes(names["name"])) == 2
    assert not any(delivered_incrementally(d) for d in (*grouped.values(), *names.values()))


def test_a_deferred_field_is_told_apart() -> None:
    built = graphql_schema(SCHEMA)
    query = built.query_type
    item = built.get_type("Item")
    assert query is not None and item is not None
    document = parse("{ items { ...Named @defer } } fragment Named on Item { name }")
    executor = Executor.build(built, document)
    assert isinstance(executor, Executor)
    grouped = root_fields(executor, query)
    assert not delivered_incrementally(grouped["items"])
    names = subfields(executor, item, grouped["items"])  # type: ignore[arg-type]
    assert delivered_incrementally(names["name"])


def test_the_overlap_rule_stops_at_its_comparison_budget() -> None:
    budgets = iter([0, 1_000])

    class Budgeted(OverlappingFieldsCanBeMergedRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            limit_overlap_comparisons(self, next(budgets))

    document = parse("{ a: title a: title items { name } items { name } }")
    spent = validate(graphql_schema(SCHEMA), document, [Budgeted])
    assert [e.message for e in spent] == ["Validation aborted."]
    assert validate(graphql_schema(SCHEMA), document, [Budgeted]) == []


def test_strawberry_adds_exactly_its_own_rules_to_every_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import strawberry.schema.schema as strawberry_schema

    used: list[tuple[Any, ...]] = []

    def spy(schema: GraphQLSchema, document: Any, rules: Any, **kwargs: Any) -> Any:
        used.append(tuple(rules))
        return validate(schema, document, rules, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", spy)
    assert SCHEMA.execute_sync("{ title }", root_value=Query()).errors is None
    (rules,) = used
    assert set(rules) - set(specified_rules) == set(STRAWBERRY_VALIDATION_RULES)


def test_strawberry_skips_its_validation_once_an_extension_has_validated() -> None:
    class Validated(SchemaExtension):
        def on_validate(self) -> Any:
            self.execution_context.pre_execution_errors = []
            yield

    invalid = "{ title nosuchfield }"
    assert SCHEMA.execute_sync(invalid).errors
    trusting = strawberry.Schema(query=Query, extensions=[Validated])
    result = trusting.execute_sync(invalid, root_value=Query())
    assert result.errors is None
    assert result.data == {"title": "Ärenden"}


def test_suggestions_are_hidden_through_strawberrys_execution_context() -> None:
    assert SCHEMA.execution_context_class is StrawberryExecutionContext
    document = "query($shade: Shade!) { items(shade: $shade) { name } }"
    told = SCHEMA.execute_sync(document, variable_values={"shade": "LIGHTER"})
    assert told.errors and "Did you mean" in told.errors[0].message
    quiet_schema = strawberry.Schema(
        query=Query, execution_context_class=ExecutionWithoutSuggestions
    )
    quiet = quiet_schema.execute_sync(document, variable_values={"shade": "LIGHTER"})
    assert quiet.errors and "LIGHTER" in quiet.errors[0].message
    assert "Did you mean" not in quiet.errors[0].message


def test_a_fault_is_logged_with_its_traceback_as_strawberry_logs_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cause = ValueError("the database said no")
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        log_fault(GraphQLError("failed", original_error=cause), None)
    (record,) = caplog.records
    assert (record.name, record.levelno, record.getMessage()) == (
        "strawberry.execution",
        logging.ERROR,
        "failed",
    )
    assert record.exc_info is not None and record.exc_info[1] is cause


async def test_a_refused_operation_type_is_told_from_other_bad_requests() -> None:
    refusals: list[bool] = []

    class View(GraphQL[None, None]):
        async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return await super().execute_single(*args, **kwargs)
            except HTTPException as error:
                refusals.append(is_operation_type_refusal(error))
                raise

    transport = httpx.ASGITransport(app=View(SCHEMA))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        mutation = await http.get("/", params={"query": "mutation { touch }"})
        unknown = await http.get("/", params={"query": "{ title }", "operationName": "Nope"})
    assert (mutation.status_code, unknown.status_code) == (400, 400)
    assert refusals == [True, False]


def test_unset_is_strawberrys_unset() -> None:
    assert isinstance(strawberry.UNSET, UnsetType)

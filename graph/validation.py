"""Validation: the cost limits first, then graphql-core's rules within a budget; cached.

The cost limits (graph/query_cost.py) take time linear in the document and refuse what
would expand too far, so graphql-core's rules only ever see documents of bounded expanded
size. OverlappingFieldsCanBeMerged still compares same-named fields and fragments pairwise
within that; its budget for doing so is cut to what real documents need. Errors carry
no "Did you mean …?" while introspection is off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OverlappingFieldsCanBeMergedRule,
    ValidationContext,
    validate,
)
from strawberry.extensions import SchemaExtension

from graph.library_internals import (
    STRAWBERRY_VALIDATION_RULES,
    graphql_schema,
    limit_overlap_comparisons,
)
from graph.query_cost import CostLimits, cost_errors

Rules = tuple[type[ASTValidationRule], ...]
# Work OverlappingFieldsCanBeMerged may do before validation is aborted ("Validation
# aborted."): it compares same-named fields and spread fragments pairwise. graphql-core
# allows 500,000 units, 1-2 s here (one field selected a thousand times at one place);
# 5,000 is ~25 ms, and no document in tests/ or bench/ spends more than a dozen.
MERGE_COMPARISONS = 5_000


class OverlappingFieldsWithinBudget(OverlappingFieldsCanBeMergedRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        limit_overlap_comparisons(self, MERGE_COMPARISONS)


def _budgeted(rules: Rules) -> Rules:
    return tuple(
        OverlappingFieldsWithinBudget if rule is OverlappingFieldsCanBeMergedRule else rule
        for rule in (*rules, *STRAWBERRY_VALIDATION_RULES)
    )


def document_validation(
    limits: CostLimits, *, suggestions: bool, cache_size: int = 512
) -> Callable[[], SchemaExtension]:
    """An extension validating each document once, in place of Strawberry's ValidationCache
    (and of Strawberry's own validation, which it skips once this has run)."""

    @lru_cache(maxsize=cache_size)
    def validated(
        schema: GraphQLSchema, document: DocumentNode, rules: Rules
    ) -> list[GraphQLError]:
        errors = cost_errors(document, limits)
        if errors:
            return errors
        # "Did you mean …?" names fields, arguments, types and enum values: while
        # introspection is off, it would spell out the schema to anyone who guesses.
        return validate(schema, document, _budgeted(rules), hide_suggestions=not suggestions)

    class DocumentValidation(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            execution = self.execution_context
            if execution.graphql_document is not None:
                errors = validated(
                    graphql_schema(execution.schema),
                    execution.graphql_document,
                    execution.validation_rules,
                )
                # A copy: the cached list must stay as it is whatever a later step does.
                execution.pre_execution_errors = list(errors)
            yield

    return DocumentValidation

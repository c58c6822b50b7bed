"""What a document costs before it runs: depth, aliases and selections, each fragment measured once.

Walking a document the naive way follows every fragment spread anew, so a few hundred
bytes of fragments that each spread the next one twice take 2^n steps (Strawberry's
depth and alias limiters did exactly that). Here each fragment definition is summarised
once: its own depth, aliases and selections, and the fragments it spreads. A spread
reuses that summary, so counts multiply instead of being expanded, and measuring takes
time linear in the document's size whatever the spreads would expand to. Spreads that
close a cycle or name no fragment add nothing here; graphql-core's rules report them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

# Counts stop growing here: far above any limit, and small enough to print in an error.
SATURATED = 1_000_000_000


@dataclass(frozen=True)
class CostLimits:
    depth: int
    aliases: int
    selections: int


@dataclass(frozen=True)
class Cost:
    """One definition's cost with every fragment it spreads expanded (arithmetically)."""

    # Nesting of the deepest field, root fields being 0; what lies inside an
    # introspection field (`__schema { … }`) does not count, as with Strawberry's limiter.
    depth: int
    # Aliased fields, each counted as often as it would be selected.
    aliases: int
    # Fields, inline fragments and spreads, each as often as it would be visited.
    selections: int


@dataclass
class _Summary:
    """A definition's own cost, its spreads not followed yet."""

    depth: int = 0
    aliases: int = 0
    selections: int = 0
    # Every spread with the level it is at (None inside introspection: no depth there).
    spreads: list[tuple[str, int | None]] = field(default_factory=list)


def _summarise(root: SelectionSetNode) -> _Summary:
    summary = _Summary()
    # An explicit stack: the parser bounds nesting, but this need not rely on it.
    stack: list[tuple[SelectionSetNode, int, bool]] = [(root, 0, True)]
    while stack:
        selection_set, level, counts_depth = stack.pop()
        for selection in selection_set.selections:
            summary.selections += 1
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    summary.aliases += 1
                if counts_depth:
                    summary.depth = max(summary.depth, level)
                if selection.selection_set is not None:
                    below = counts_depth and not selection.name.value.startswith("__")
                    stack.append((selection.selection_set, level + 1, below))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, level, counts_depth))
            elif isinstance(selection, FragmentSpreadNode):
                summary.spreads.append((selection.name.value, level if counts_depth else None))
    return summary


def _saturate(count: int) -> int:
    return min(count, SATURATED)


def _expand(summary: _Summary, costs: dict[str, Cost]) -> Cost:
    """The summary's cost, given the cost of every fragment it spreads (when known)."""
    depth, aliases, selections = summary.depth, summary.aliases, summary.selections
    for name, level in summary.spreads:
        spread = costs.get(name)
        if spread is None:
            continue
        if level is not None:
            depth = max(depth, level + spread.depth)
        aliases = _saturate(aliases + spread.aliases)
        selections = _saturate(selections + spread.selections)
    return Cost(depth, aliases, selections)


def _fragment_costs(summaries: dict[str, _Summary]) -> dict[str, Cost]:
    """Every fragment's cost, each computed once, spreads first (depth-first, no recursion)."""
    costs: dict[str, Cost] = {}
    for start in summaries:
        if start in costs:
            continue
        path: list[tuple[str, Iterator[tuple[str, int | None]]]] = [
            (start, iter(summaries[start].spreads))
        ]
        on_path = {start}
        while path:
            name, spreads = path[-1]
            for spread, _level in spreads:
                if spread in summaries and spread not in costs and spread not in on_path:
                    path.append((spread, iter(summaries[spread].spreads)))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                costs[name] = _expand(summaries[name], costs)
    return costs


Definition = OperationDefinitionNode | FragmentDefinitionNode


@dataclass(frozen=True)
class DocumentCost:
    # Each operation with its name ("anonymous" without one), as often as it is defined.
    operations: list[tuple[str, OperationDefinitionNode, Cost]]
    # Fragment definitions no operation spreads: graphql-core's rules visit them too.
    unused_fragments: list[tuple[FragmentDefinitionNode, Cost]]

    @property
    def selections(self) -> int:
        """Selections of the operations and unused fragments, expanded."""
        costs = [c for _, _, c in self.operations] + [c for _, c in self.unused_fragments]
        return _saturate(sum(c.selections for c in costs))


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    # A spread means the last definition of its name, as in execution.
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def measure(document: DocumentNode) -> DocumentCost:
    definitions = [d for d in document.definitions if isinstance(d, Definition)]
    summaries = {id(d): _summarise(d.selection_set) for d in definitions}
    fragments = _fragments(document)
    costs = _fragment_costs({name: summaries[id(d)] for name, d in fragments.items()})
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    used: set[int] = set()
    waiting: list[Definition] = list(operations)
    while waiting:
        for name, _level in summaries[id(waiting.pop())].spreads:
            fragment = fragments.get(name)
            if fragment is not None and id(fragment) not in used:
                used.add(id(fragment))
                waiting.append(fragment)
    return DocumentCost(
        [
            (d.name.value if d.name else "anonymous", d, _expand(summaries[id(d)], costs))
            for d in operations
        ],
        [
            (d, _expand(summaries[id(d)], costs))
            for d in definitions
            if isinstance(d, FragmentDefinitionNode) and id(d) not in used
        ],
    )


def cost_errors(document: DocumentNode, limits: CostLimits) -> list[GraphQLError]:
    """Why the document costs too much to validate or run; empty when it is within limits."""
    cost = measure(document)
    errors = [
        GraphQLError(f"'{name}' exceeds maximum operation depth of {limits.depth}", node)
        for name, node, operation in cost.operations
        if operation.depth > limits.depth
    ]
    aliases = _saturate(sum(operation.aliases for _, _, operation in cost.operations))
    if aliases > limits.aliases:
        found = f"More than {SATURATED}" if aliases >= SATURATED else str(aliases)
        errors.append(GraphQLError(f"{found} aliases found. Allowed: {limits.aliases}"))
    if cost.selections > limits.selections:
        errors.append(
            GraphQLError(
                "The document makes too many selections once its fragments are expanded."
                f" Allowed: {limits.selections}"
            )
        )
    return errors

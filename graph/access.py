"""Who may call which root field: deny by default, so a new field cannot leak by omission.

Anonymous callers reach only sign-in and password reset; portal contacts reach only the
portal's fields; every other root field is staff-only. Finer rules (admin-only, per
object) are the domain's.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from domain.errors import NotAllowed, NotSignedIn
from domain.viewer import Viewer

INTROSPECTION = frozenset({"__typename", "__schema", "__type"})
SIGN_IN = INTROSPECTION | {"login", "portalLogin"}
# Open to anyone who is not signed in to the portal: a signed-in contact has no use for them.
PASSWORD_RESET = frozenset({"requestPasswordReset", "resetPassword"})
ANONYMOUS = SIGN_IN | PASSWORD_RESET
PORTAL = SIGN_IN | {
    "viewer",
    "node",
    "logout",
    "portalCases",
    "portalCase",
    "portalSendMessage",
    "portalChangePassword",
    "conversationMessageAdded",
}


def check_root_field(viewer: Viewer | None, name: str) -> None:
    if viewer is None:
        if name not in ANONYMOUS:
            raise NotSignedIn()
    elif not viewer.is_staff and name not in PORTAL:
        raise NotAllowed(f"`{name}` is not available in the customer portal.")


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name and definition.name.value == name)
        ):
            return definition
    return None


def root_field_names(document: DocumentNode, operation_name: str | None) -> Iterator[str]:
    operation = _operation(document, operation_name)
    if operation is None:
        return
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    seen: set[str] = set()

    def walk(selection_set: SelectionSetNode) -> Iterator[str]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection.name.value
            elif isinstance(selection, InlineFragmentNode):
                yield from walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None and fragment.name.value not in seen:
                    seen.add(fragment.name.value)
                    yield from walk(fragment.selection_set)

    yield from walk(operation.selection_set)


class RootFieldAccess(SchemaExtension):
    def on_execute(self):  # type: ignore[no-untyped-def]
        execution = self.execution_context
        document = execution.graphql_document
        if document is not None:
            viewer = getattr(execution.context, "viewer", None)
            for name in root_field_names(document, execution.operation_name):
                check_root_field(viewer, name)
        yield

"""No "Did you mean …?" in execution errors while introspection is off: it spells out the schema.

Validation is told the same by graph/validation.py; this covers what graphql-core checks
when it runs an operation, such as variables (an unknown enum value or input field).
"""

from __future__ import annotations

from typing import Any

from graph.library_internals import StrawberryExecutionContext


class ExecutionWithoutSuggestions(StrawberryExecutionContext):
    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)

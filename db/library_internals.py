"""SQLAlchemy's internals the project relies on, in one place.

`tests/test_db_library_internals.py` fails when SQLAlchemy changes what is read here.
"""

from __future__ import annotations

from typing import Any


def values_given(statement: Any) -> list[tuple[Any, Any]]:
    """The (column, value) pairs an INSERT's or UPDATE's `.values()` (or `.ordered_values()`)
    set. SQLAlchemy keeps them in `_values` and `_ordered_values` and offers no public way to
    read them back; the case-change feed needs them to tell what a bulk statement touches."""
    pairs: list[tuple[Any, Any]] = list((getattr(statement, "_values", None) or {}).items())
    pairs += list(getattr(statement, "_ordered_values", None) or ())
    return pairs

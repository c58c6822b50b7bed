"""How a search string becomes a LIKE pattern: a case-insensitive substring match in which
the searcher's `%`, `_` and `\\` are plain characters."""

from __future__ import annotations


def like_pattern(search: str) -> str:
    """The pattern for matching `search` against lower-cased text, with `\\` as the escape:
    `%`, `_` and `\\` match literally."""
    escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"

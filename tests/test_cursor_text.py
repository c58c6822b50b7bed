"""A cursor's text is its sort key values as compact JSON, however it is put together."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from db import pagination

values = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.datetimes(timezones=st.just(UTC)),
    st.none(),
    st.booleans(),
    st.floats(),
    st.text(),
)


def as_json(value: Any) -> Any:
    return {"$dt": value.isoformat()} if isinstance(value, datetime) else value


@given(st.lists(values, max_size=4))
def test_a_cursor_is_the_compact_json_of_its_values(keys: list[Any]) -> None:
    cursor = pagination.encode_cursor(keys)
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    expected = [as_json(v) for v in keys]
    if expected and type(expected[-1]) is int and expected[-1] >= 0:
        expected[-1] = pagination._hidden(expected[-1])
    assert raw == json.dumps(expected, separators=(",", ":"))

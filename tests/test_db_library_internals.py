"""What db/library_internals.py reads from SQLAlchemy is still there, as it reads it."""

from __future__ import annotations

from sqlalchemy import insert, update

from db.library_internals import values_given
from db.models import Case, Task


def _named(statement: object) -> dict[str, object]:
    return {
        getattr(key, "key", key): getattr(value, "value", value)
        for key, value in values_given(statement)
    }


def test_an_updates_values_are_read_back() -> None:
    statement = update(Case).where(Case.id == 1).values(title="Läcka", status_id=3)
    assert _named(statement) == {"title": "Läcka", "status_id": 3}


def test_ordered_values_are_read_back() -> None:
    statement = update(Task).ordered_values((Task.case_id, 7), (Task.position, 2))
    assert _named(statement) == {"case_id": 7, "position": 2}


def test_an_inserts_values_are_read_back() -> None:
    assert _named(insert(Task).values(case_id=5, title="Byt packning")) == {
        "case_id": 5,
        "title": "Byt packning",
    }


def test_a_statement_without_values_gives_none() -> None:
    assert values_given(update(Case).where(Case.id == 1)) == []

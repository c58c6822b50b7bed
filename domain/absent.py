"""Telling a value not sent apart from one sent as null: an update changes only what is sent."""

from __future__ import annotations

from enum import Enum
from typing import Literal, TypeAlias, TypeVar

T = TypeVar("T")


class Absent(Enum):
    ABSENT = "ABSENT"

    def __bool__(self) -> Literal[False]:
        return False


ABSENT = Absent.ABSENT
Maybe: TypeAlias = T | Absent

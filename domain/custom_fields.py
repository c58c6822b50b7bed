"""Typed extra fields: a case type's own fields and a form's questions share these rules."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain import validation
from domain.errors import Problems

_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_VALUE_LENGTH = 2000
# ASCII digits only (re's \d would take every script's), at most 30 before the point and
# 20 after it: a count, an amount, a measure.
_NUMBER = re.compile(r"-?[0-9]{1,30}(?:\.[0-9]{1,20})?", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_TRUE = {"true", "yes", "ja", "1"}
_FALSE = {"false", "no", "nej", "0"}


class FieldKind(StrEnum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    BOOLEAN = "BOOLEAN"
    SELECT = "SELECT"


@dataclass(frozen=True)
class FieldDefinition:
    key: str
    label: str
    kind: FieldKind
    required: bool = False
    options: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.kind.value,
            "required": self.required,
            "options": list(self.options),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> FieldDefinition:
        return cls(
            key=str(raw["key"]),
            label=str(raw.get("label") or raw["key"]),
            kind=FieldKind(raw.get("kind", FieldKind.TEXT)),
            required=bool(raw.get("required", False)),
            options=tuple(str(o) for o in raw.get("options") or ()),
        )


def definitions_of(raw: Sequence[Mapping[str, Any]] | None) -> list[FieldDefinition]:
    return [FieldDefinition.from_json(r) for r in raw or ()]


def clean_definitions(
    problems: Problems, path: str, given: Sequence[FieldDefinition]
) -> list[FieldDefinition]:
    """Checks a list of definitions (keys unique and well-formed, SELECT with options)."""
    seen: set[str] = set()
    cleaned: list[FieldDefinition] = []
    for index, definition in enumerate(given):
        at = (path, str(index))
        key = definition.key.strip()
        if not _KEY.match(key):
            problems.invalid(
                (*at, "key"), "A key is 1-64 letters, digits or '_', starting with a letter."
            )
        elif key in seen:
            problems.invalid((*at, "key"), f"The key {key!r} is used twice.")
        seen.add(key)
        label = validation.text(problems, (*at, "label"), definition.label, "Label", required=True)
        options = tuple(o.strip() for o in definition.options)
        if definition.kind is FieldKind.SELECT:
            if not options or any(not o for o in options):
                problems.invalid((*at, "options"), "A SELECT needs non-empty options.")
            elif len(set(options)) != len(options):
                problems.invalid((*at, "options"), "The options must differ from each other.")
        elif options:
            problems.invalid((*at, "options"), "Only a SELECT has options.")
        cleaned.append(
            FieldDefinition(key, label or "", definition.kind, definition.required, options)
        )
    return cleaned


def clean_value(
    problems: Problems, path: Sequence[str], definition: FieldDefinition, value: str | None
) -> str | None:
    """The value as canonical text (numbers, ISO dates, true/false), or None when empty."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    kind = definition.kind
    label = definition.label
    if kind is FieldKind.TEXT:
        return validation.text(
            problems, path, value, label, max_length=MAX_VALUE_LENGTH, multiline=True
        )
    if kind is FieldKind.NUMBER:
        # Decimal would also take 1e999 (a thousand digits once written out), NaN, and
        # digits of other scripts; a number here is written as people write one.
        written = value.replace(",", ".").replace(" ", "")
        if not _NUMBER.fullmatch(written):
            problems.invalid(
                path, f"{label} must be a number written with 0-9, e.g. -12 or 3,5 (no exponent)."
            )
            return None
        number = Decimal(written).normalize()
        return format(number.copy_abs() if number.is_zero() else number, "f")
    if kind is FieldKind.DATE:
        try:
            if not _DATE.fullmatch(value):
                raise ValueError(value)
            return date.fromisoformat(value).isoformat()
        except ValueError:
            problems.invalid(path, f"{label} must be a date (YYYY-MM-DD).")
            return None
    if kind is FieldKind.BOOLEAN:
        if value.lower() in _TRUE:
            return "true"
        if value.lower() in _FALSE:
            return "false"
        problems.invalid(path, f"{label} must be true or false.")
        return None
    if value not in definition.options:
        problems.invalid(path, f"{label} must be one of: {', '.join(definition.options)}.")
        return None
    return value


def clean_values(
    problems: Problems,
    path: str,
    definitions: Sequence[FieldDefinition],
    current: Mapping[str, str],
    given: Sequence[tuple[str, str | None]] | None,
) -> dict[str, str]:
    """`current` with `given` merged in by key; unknown keys rejected, required ones checked.

    Paths use the key, not the list index: `[path, key]`.
    """
    by_key = {d.key: d for d in definitions}
    values = {k: v for k, v in current.items() if k in by_key}
    seen: set[str] = set()
    for key, raw in given or ():
        if key not in by_key:
            problems.invalid((path, key), f"There is no field {key!r} for this case type.")
            continue
        if key in seen:
            problems.invalid((path, key), f"The field {key!r} is given twice.")
            continue
        seen.add(key)
        cleaned = clean_value(problems, (path, key), by_key[key], raw)
        if cleaned is None:
            values.pop(key, None)
        else:
            values[key] = cleaned
    for definition in definitions:
        if (
            definition.required
            and definition.key not in values
            and not problems.has_path((path, definition.key))
        ):
            problems.required((path, definition.key), definition.label)
    return values

"""Rules for single input values: names, e-mail addresses, phone numbers, coordinates."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from domain.errors import Problems

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_COLOR = re.compile(r"^#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$")
# Phone numbers without a country code are Swedish.
PHONE_REGION = "SE"


def text(
    problems: Problems,
    path: str | Sequence[str],
    value: str | None,
    what: str,
    *,
    required: bool = False,
    max_length: int = 200,
    multiline: bool = False,
) -> str | None:
    """A trimmed text value, or None when empty; problems are recorded, not raised."""
    if value is None or not value.strip():
        if required:
            problems.required(path, what)
        return None
    value = value.strip()
    if len(value) > max_length:
        problems.invalid(path, f"{what} must be at most {max_length} characters.")
    elif "\x00" in value or (not multiline and _CONTROL.search(value)):
        problems.invalid(path, f"{what} contains control characters.")
    return value


def email(
    problems: Problems, path: str, value: str | None, *, required: bool = False
) -> str | None:
    if value is None or not value.strip():
        if required:
            problems.required(path, "E-mail")
        return None
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        problems.invalid(path, f"Not a valid e-mail address: {error}")
        return None


def handle(problems: Problems, path: str, value: str) -> str | None:
    value = value.strip().lstrip("@")
    if not _HANDLE.match(value):
        problems.invalid(
            path,
            "A handle is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
        )
        return None
    return value


def phone(problems: Problems, path: str, value: str | None) -> str | None:
    """A phone number in E.164 (read as Swedish unless it has a country code), or None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    # The parser reads other scripts' digits (Arabic-Indic, full-width) as 0-9; whoever types
    # them has not typed the number they will be called on: refused, not converted.
    if not value.isascii():
        problems.invalid(path, "Write the phone number with the digits 0-9.")
        return None
    try:
        parsed = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        problems.invalid(path, "Not a valid phone number.")
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def utc(moment: datetime) -> datetime | None:
    """The moment in UTC (a time without a zone is read as UTC), or None when it falls
    outside the years 1-9999 there, which no backend can store or compare with.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def moment(
    problems: Problems, path: str | Sequence[str], value: datetime | None, what: str
) -> datetime | None:
    """A moment in UTC, or None when empty; one we cannot store is recorded as INVALID."""
    if value is None:
        return None
    in_utc = utc(value)
    if in_utc is None:
        problems.invalid(path, f"{what} must fall within the years 1-9999 in UTC.")
    return in_utc


def location(
    problems: Problems, path: str | Sequence[str], lat: float, lng: float
) -> tuple[float, float] | None:
    if not (-90.0 <= lat <= 90.0) or not (-180.0 <= lng <= 180.0):
        problems.invalid(path, "Latitude must be within ±90 and longitude within ±180.")
        return None
    return lat, lng


def color(problems: Problems, path: str | Sequence[str], value: str | None) -> str | None:
    """A CSS hex colour (#rgb or #rrggbb), lower-cased, or None when empty."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not _COLOR.match(value):
        problems.invalid(path, "A colour is written #rgb or #rrggbb.")
        return None
    return value.lower()

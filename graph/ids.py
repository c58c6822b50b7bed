"""Opaque global ids: base64url of "<TypeName>:<primary key>"."""

from __future__ import annotations

import base64
import binascii


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def parse_global_id(global_id: str) -> tuple[str, int] | None:
    """(type name, primary key), or None for anything that is not one of our ids."""
    if not global_id or len(global_id) > 100:
        return None
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, _, pk = raw.partition(":")
    if not type_name.isidentifier() or not pk.isdigit() or len(pk) > 18:
        return None
    return type_name, int(pk)


def pk_of(global_id: str | None, *type_names: str) -> int | None:
    """The primary key when `global_id` names one of `type_names`, else None."""
    if global_id is None:
        return None
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] not in type_names:
        return None
    return parsed[1]


def our_pk(global_id: str | None, *type_names: str) -> int | None:
    """None when no id was given; else its primary key, or 0 for an id that is not one of
    ours: 0 names no row, so it is reported as NOT_FOUND rather than taken for "not given"."""
    return None if global_id is None else pk_of(global_id, *type_names) or 0

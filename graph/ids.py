"""Opaque global ids: base64url of "<TypeName>." and the primary key enciphered with the id key.

Primary keys are shared by every tenant, so an id that carried one in the clear would let a
tenant count what the others create between two of its own writes. Enciphered with the id
key (`graph/id_key.py`), consecutive keys give unrelated ids, the same on every instance and
after every restart for as long as the key stays.

Ids of the earlier form, base64url of "<TypeName>:<primary key>", are still read, so that ids
clients saved (an `after` cursor, a bookmark) keep working; but only up to the last primary key
each type had when the id key was made. A newer object is never found by such an id, so no one
learns its primary key by asking for every legacy id in turn. Ids given out are always new.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from functools import lru_cache

from db import pagination
from graph.id_cipher import BLOCK_BITS, TypePermutation, master_key

SEPARATOR = b"."  # never in a legacy id, which is an identifier, ":" and digits
LEGACY_SEPARATOR = ":"
BLOCK_BYTES = BLOCK_BITS // 8
# Primary keys are BIGINT: what a deciphered block above this holds is nobody's key.
MAX_PK = 2**63 - 1
MAX_ID_LENGTH = 100
# The permutation of the primary keys that end page cursors (not a type name: no id uses it).
CURSOR_KEYS = "page cursor"
# Rendered ids kept (~150 bytes each): the pages and events being served, whose statuses,
# users and groups repeat from row to row.
RENDERED_IDS_KEPT = 32_768
# Type names whose permutation is kept; ids read from clients may name any type at all.
PERMUTATIONS_KEPT = 64


class NoIdKey(RuntimeError):
    """An id was needed before the id key was loaded (the database not yet migrated)."""


def _encoded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class GlobalIds:
    """Global ids under one key; `legacy_last_pks` is, per type name, up to where ids of the
    legacy form were handed out."""

    def __init__(self, secret: str, legacy_last_pks: Mapping[str, int]) -> None:
        self._key = master_key(secret)
        self._legacy_last_pks = dict(legacy_last_pks)
        self._permutations: dict[str, TypePermutation] = {}

    def permutation(self, type_name: str) -> TypePermutation:
        found = self._permutations.get(type_name)
        if found is None:
            found = TypePermutation(self._key, type_name)
            if len(self._permutations) < PERMUTATIONS_KEPT:
                self._permutations[type_name] = found
        return found

    def global_id(self, type_name: str, pk: int) -> str:
        if not 0 <= pk <= MAX_PK:
            raise ValueError(f"{type_name} primary key out of range")
        block = self.permutation(type_name).encipher(pk)
        return _encoded(type_name.encode() + SEPARATOR + block.to_bytes(BLOCK_BYTES, "big"))

    def parse(self, global_id: str) -> tuple[str, int] | None:
        if not global_id or len(global_id) > MAX_ID_LENGTH or not global_id.isascii():
            return None
        try:
            raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4))
        except (binascii.Error, ValueError):
            return None
        # One spelling per id: the decoder skips stray characters and ignores spare bits.
        if _encoded(raw) != global_id:
            return None
        if raw[-BLOCK_BYTES - 1 : -BLOCK_BYTES] == SEPARATOR:
            return self._parse_new(raw)
        return self._parse_legacy(raw)

    def _parse_new(self, raw: bytes) -> tuple[str, int] | None:
        type_name = raw[: -BLOCK_BYTES - 1].decode("ascii", errors="replace")
        if not type_name.isidentifier():
            return None
        block = int.from_bytes(raw[-BLOCK_BYTES:], "big")
        pk = self.permutation(type_name).decipher(block)
        return (type_name, pk) if pk <= MAX_PK else None

    def _parse_legacy(self, raw: bytes) -> tuple[str, int] | None:
        type_name, _, digits = raw.decode("ascii", errors="replace").partition(LEGACY_SEPARATOR)
        if not type_name.isidentifier() or not digits.isdigit() or len(digits) > 18:
            return None
        pk = int(digits)
        if str(pk) != digits or not 0 < pk <= self._legacy_last_pks.get(type_name, 0):
            return None
        return type_name, pk


_installed: GlobalIds | None = None


def install(secret: str, legacy_last_pks: Mapping[str, int]) -> None:
    """Makes this process's ids those of `secret` (one process serves one database)."""
    use(GlobalIds(secret, legacy_last_pks))


def installed() -> GlobalIds | None:
    """The ids this process gives out and reads, if loaded."""
    return _installed


def use(ids: GlobalIds) -> None:
    """Makes `ids` this process's, e.g. again after a server on another database stopped."""
    global _installed
    _installed = ids
    _rendered.cache_clear()
    # Page cursors end with a primary key too: hidden under the same key, each kept once
    # hidden, as rendered ids are (a page of 50 customers with 10 objects each has 550).
    cursors = ids.permutation(CURSOR_KEYS)
    pagination.hide_primary_keys(
        lru_cache(maxsize=RENDERED_IDS_KEPT)(cursors.encipher), cursors.decipher
    )


def _global_ids() -> GlobalIds:
    if _installed is None:
        raise NoIdKey("global ids are not available before the id key is loaded")
    return _installed


@lru_cache(maxsize=RENDERED_IDS_KEPT)
def _rendered(type_name: str, pk: int) -> str:
    return _global_ids().global_id(type_name, pk)


def to_global_id(type_name: str, pk: int) -> str:
    return _rendered(type_name, pk)


def parse_global_id(global_id: str) -> tuple[str, int] | None:
    """(type name, primary key), or None for anything that is not one of our ids."""
    return _global_ids().parse(global_id)


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

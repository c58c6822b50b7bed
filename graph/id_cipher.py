"""A keyed permutation of 64-bit numbers, one per type name: what hides a global id's key."""

from __future__ import annotations

import hashlib

BLOCK_BITS = 64
ROUNDS = 4
_HALF = BLOCK_BITS // 2
_HALF_MASK = (1 << _HALF) - 1
_HALF_BYTES = _HALF // 8  # big-endian, as int.to_bytes and from_bytes default to


def master_key(secret: str) -> bytes:
    """The secret, of any length, as a BLAKE2b key of its own purpose."""
    return hashlib.blake2b(secret.encode(), digest_size=32, person=b"workcloud.ids").digest()


class TypePermutation:
    """A Feistel network of four rounds over two 32-bit halves, with keyed BLAKE2b as the
    round function: four rounds of a pseudo-random function make a strong pseudo-random
    permutation (Luby-Rackoff), so neither enciphered nor deciphered values say anything
    about the others. The type name is part of every round key, so `Case` 5 and `User` 5
    are unrelated."""

    __slots__ = ("_rounds",)

    def __init__(self, key: bytes, type_name: str) -> None:
        # The keyed hashes are made once; each round only copies its own and feeds it a half.
        self._rounds = tuple(
            hashlib.blake2b(
                key=hashlib.blake2b(
                    type_name.encode(), key=key, digest_size=32, person=b"round %d" % i
                ).digest(),
                digest_size=_HALF_BYTES,
            )
            for i in range(ROUNDS)
        )

    # Both directions spell the rounds out: ids are made in hot paths (a page of the table view
    # renders hundreds), and a call per round costs as much as the hash.
    def encipher(self, value: int) -> int:
        left, right = value >> _HALF, value & _HALF_MASK
        for keyed in self._rounds:
            hashed = keyed.copy()
            hashed.update(right.to_bytes(_HALF_BYTES))
            left, right = right, left ^ int.from_bytes(hashed.digest())
        return left << _HALF | right

    def decipher(self, value: int) -> int:
        left, right = value >> _HALF, value & _HALF_MASK
        for keyed in reversed(self._rounds):
            hashed = keyed.copy()
            hashed.update(left.to_bytes(_HALF_BYTES))
            left, right = right ^ int.from_bytes(hashed.digest()), left
        return left << _HALF | right

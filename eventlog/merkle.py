"""The Merkle tree hash of RFC 6962 (Certificate Transparency) over a log's events.

A leaf is one event as (position, stream_id, version, hash); leaves are in position order.
MTH({}) = SHA-256(""); MTH({d}) = SHA-256(0x00 || d); for n > 1 leaves, with k the largest
power of two below n, MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])). The 0x00 and
0x01 prefixes keep a leaf from passing for an inner node (second preimages).

`Frontier` holds the roots of the perfect subtrees the leaves so far fill, largest first
(at most log2 n of them): enough to append further leaves and to give the root of every
size, without keeping the leaves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Leaf:
    position: int
    stream_id: str
    version: int
    hash: bytes

    def data(self) -> bytes:
        """The leaf's bytes: the compact JSON array [position, stream_id, version, hash hex]."""
        entry = [self.position, self.stream_id, self.version, self.hash.hex()]
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()


def leaf_hash(leaf: Leaf) -> bytes:
    return hashlib.sha256(b"\x00" + leaf.data()).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


@dataclass
class Frontier:
    """(size, root) of each perfect subtree, sizes strictly decreasing powers of two."""

    subtrees: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(size for size, _ in self.subtrees)

    def append(self, leaf: Leaf) -> None:
        size, digest = 1, leaf_hash(leaf)
        while self.subtrees and self.subtrees[-1][0] == size:
            left_size, left = self.subtrees.pop()
            size, digest = left_size + size, node_hash(left, digest)
        self.subtrees.append((size, digest))

    def extend(self, leaves: Iterable[Leaf]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """MTH of every leaf so far: the subtrees folded from the right, which is how the
        recursive split at the largest power of two below n nests them."""
        if not self.subtrees:
            return EMPTY_ROOT
        digest = self.subtrees[-1][1]
        for _, left in reversed(self.subtrees[:-1]):
            digest = node_hash(left, digest)
        return digest

    def to_json(self) -> list[list[int | str]]:
        return [[size, digest.hex()] for size, digest in self.subtrees]

    @classmethod
    def from_json(cls, subtrees: list[list[int | str]]) -> Frontier:
        parsed = [(int(size), bytes.fromhex(str(digest))) for size, digest in subtrees]
        sizes = [size for size, _ in parsed]
        if any(s & (s - 1) or s <= 0 for s in sizes) or sizes != sorted(set(sizes), reverse=True):
            raise ValueError(f"not a Merkle frontier: subtree sizes {sizes}")
        return cls(parsed)

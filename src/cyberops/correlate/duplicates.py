"""Near-duplicate documents: the same story syndicated by several outlets, or re-fetched with small edits.

Each text gets a bottom-k MinHash sketch over word shingles: one 64-bit hash per shingle, and the
``k`` smallest hashes kept. Two sketches estimate the Jaccard similarity of the shingle sets (the
share of the ``k`` smallest hashes of the union found in both sketches). One hash per shingle keeps
signing cheap in pure Python; the sketch is a sorted list of integers, so it stores as JSON.

Incremental use (ingest checks one new document against what is stored): sign the new text with
:func:`signature`, fetch candidates that share one of its :func:`index_keys` (a table the store keeps
of key → document), and keep those whose :func:`similarity` reaches the threshold.
:class:`DuplicateIndex` does the same in memory.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cyberops.record import Record

# Sketch size: the error of the Jaccard estimate is about 1/sqrt(k), ±0.09 at 128.
SKETCH_SIZE = 128
# Shingles of this many tokens: long enough that two different articles on one event share few.
SHINGLE = 4
# Jaccard of shingle sets above which two texts are one story (wire copies with different
# ledes, captions or trimmed endings stay above it; separate reports of one event fall far below).
DUPLICATE_THRESHOLD = 0.5
# How many of the smallest hashes serve as lookup keys. Two texts with Jaccard J share the minimum
# of their union with probability J; with 16 chances a true duplicate is almost never missed.
INDEX_KEYS = 16

# Words, with every CJK character its own token: those scripts do not separate words by spaces.
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Signature:
    """A bottom-k MinHash sketch: the ``SKETCH_SIZE`` smallest shingle hashes, sorted."""

    hashes: tuple[int, ...]
    shingles: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"hashes": list(self.hashes), "shingles": self.shingles}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        # Values come from JSON (a stored record): int() accepts the numbers as they were written.
        return cls(tuple(int(h) for h in data.get("hashes") or ()), int(data.get("shingles") or 0))


@dataclass(frozen=True)
class DuplicateGroup:
    """Documents that carry the same story; ``canonical`` is the earliest (by date, then id)."""

    canonical: str
    members: list[str]
    # Lowest pairwise similarity along the links that made the group.
    similarity: float

    def to_dict(self) -> dict[str, object]:
        return {"canonical": self.canonical, "members": list(self.members), "similarity": self.similarity}


def tokens(text: str) -> list[str]:
    return [token.casefold() for token in _TOKEN.findall(text)]


def signature(text: str, k: int = SKETCH_SIZE, shingle: int = SHINGLE) -> Signature:
    """The sketch of ``text``; texts shorter than one shingle are signed by their whole token run."""
    words = tokens(text)
    if not words:
        return Signature((), 0)
    width = min(shingle, len(words))
    seen = {_hash(" ".join(words[i : i + width])) for i in range(len(words) - width + 1)}
    return Signature(tuple(sorted(seen)[:k]), len(seen))


def record_signature(record: Record) -> Signature:
    """Sign the cleaned text with the title, so that a re-fetch with a new headline still matches."""
    return signature(f"{record.title or ''}\n{record.text}")


def similarity(a: Signature, b: Signature, k: int = SKETCH_SIZE) -> float:
    """Estimated Jaccard similarity of the two shingle sets (0.0 when either text is empty)."""
    if not a.hashes or not b.hashes:
        return 0.0
    union = sorted(set(a.hashes) | set(b.hashes))[:k]
    inside_a, inside_b = set(a.hashes), set(b.hashes)
    both = sum(1 for h in union if h in inside_a and h in inside_b)
    return both / len(union)


def index_keys(sig: Signature, count: int = INDEX_KEYS) -> list[str]:
    """Lookup keys for a store table: a candidate duplicate shares at least one of them."""
    return [f"{h:016x}" for h in sig.hashes[:count]]


@dataclass
class DuplicateIndex:
    """In-memory store of signatures with key lookup, for batches and for tests of the incremental path."""

    threshold: float = DUPLICATE_THRESHOLD
    signatures: dict[str, Signature] = field(default_factory=dict)
    _by_key: dict[str, set[str]] = field(default_factory=dict)

    def add(self, document_id: str, sig: Signature) -> None:
        self.signatures[document_id] = sig
        for key in index_keys(sig):
            self._by_key.setdefault(key, set()).add(document_id)

    def query(self, sig: Signature) -> list[tuple[str, float]]:
        """Stored documents similar to ``sig``, most similar first."""
        candidates: set[str] = set()
        for key in index_keys(sig):
            candidates |= self._by_key.get(key, set())
        found = [(doc, similarity(sig, self.signatures[doc])) for doc in candidates]
        return sorted(((d, s) for d, s in found if s >= self.threshold), key=lambda item: (-item[1], item[0]))


def find_near_duplicates(
    records: Iterable[Record],
    threshold: float = DUPLICATE_THRESHOLD,
    signatures: Mapping[str, Signature] | None = None,
) -> list[DuplicateGroup]:
    """Groups of two or more records that tell the same story, sorted by canonical id.

    ``signatures`` may hold sketches already computed (by document id); the others are computed.
    Links are transitive, so a chain of small edits stays one group.
    """
    records = list(records)
    order = {r.id: (r.published or "9999", r.id) for r in records}
    index = DuplicateIndex(threshold)
    parent: dict[str, str] = {}
    weakest: dict[str, float] = {}

    def find(doc: str) -> str:
        while parent[doc] != doc:
            parent[doc] = parent[parent[doc]]
            doc = parent[doc]
        return doc

    for record in sorted(records, key=lambda r: order[r.id]):
        sig = (signatures or {}).get(record.id) or record_signature(record)
        parent.setdefault(record.id, record.id)
        for other, score in index.query(sig):
            a, b = find(record.id), find(other)
            if a != b:
                # The root is the earlier document, so that it becomes the canonical one.
                first, second = sorted((a, b), key=lambda d: order[d])
                parent[second] = first
                weakest[first] = min(score, weakest.get(first, 1.0), weakest.get(second, 1.0))
        index.add(record.id, sig)
    groups: dict[str, list[str]] = {}
    for doc in parent:
        groups.setdefault(find(doc), []).append(doc)
    return [
        DuplicateGroup(root, sorted(members, key=lambda d: order[d]), round(weakest.get(root, 1.0), 3))
        for root, members in sorted(groups.items())
        if len(members) > 1
    ]


def _hash(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")

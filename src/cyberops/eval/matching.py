"""Maximum one-to-one matching between predictions and gold items.

Greedy matching in list order can miss pairs: if prediction A fits gold X and
Y but prediction B fits only X, taking A–X first leaves B unmatched. A
maximum bipartite matching (Kuhn's augmenting paths) finds as many pairs as
exist, so the number of matches (and every P/R/F1 built on it) does not
depend on the order in which the analyzer emits its facts. *Which* pairs are
chosen may depend on order; only the count is guaranteed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

G = TypeVar("G")
P = TypeVar("P")


def maximum_matching(
    gold: Sequence[G], predicted: Sequence[P], compatible: Callable[[G, P], bool]
) -> list[tuple[int, int]]:
    """Pairs ``(gold_index, predicted_index)`` of a maximum matching, sorted by gold index."""
    candidates = [[j for j, item in enumerate(predicted) if compatible(g, item)] for g in gold]
    gold_of: list[int | None] = [None] * len(predicted)

    def augment(i: int, visited: set[int]) -> bool:
        # Try each compatible prediction; one already taken is freed if its
        # gold partner can move to another prediction (an augmenting path).
        for j in candidates[i]:
            if j in visited:
                continue
            visited.add(j)
            holder = gold_of[j]
            if holder is None or augment(holder, visited):
                gold_of[j] = i
                return True
        return False

    for i in range(len(gold)):
        augment(i, set())
    return sorted((i, j) for j, i in enumerate(gold_of) if i is not None)

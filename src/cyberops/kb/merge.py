"""Merge clusters that name the same entity across galaxies (and curated files).

Two clusters of one type family are the same entity when they share a MITRE ATT&CK id,
share a canonical name, or one's canonical name is another's alias. Clusters of the same
galaxy are never merged: each galaxy already keeps its entities apart, so a shared alias
between two of them is noise (e.g. a subgroup listed as a synonym), not identity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from cyberops.kb.galaxies import Cluster


class _Components:
    def __init__(self, clusters: list[Cluster]) -> None:
        self.parent = list(range(len(clusters)))
        self.sources = [{c.source} for c in clusters]
        self.mitre = [set(c.mitre) for c in clusters]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb or self.sources[ra] & self.sources[rb]:
            return
        if self.mitre[ra] and self.mitre[rb] and not self.mitre[ra] & self.mitre[rb]:
            return
        low, high = min(ra, rb), max(ra, rb)  # the earlier (higher-priority) cluster stays the root
        self.parent[high] = low
        self.sources[low] |= self.sources[high]
        self.mitre[low] |= self.mitre[high]


def _family(etype: str) -> str:
    return etype


def merge_clusters(clusters: list[Cluster], fold: Callable[[str], str]) -> list[list[Cluster]]:
    """Groups of clusters, each group one entity; the first cluster of a group has priority."""
    comps = _Components(clusters)
    by_name: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_mitre: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(clusters):
        by_name[(_family(c.type), fold(c.name))].append(i)
        for mid in c.mitre:
            by_mitre[mid].append(i)
    # Strong evidence first, so that weak links meet components that already hold their ids.
    for members in by_mitre.values():
        for j in members[1:]:
            comps.union(members[0], j)
    for members in by_name.values():
        for j in members[1:]:
            comps.union(members[0], j)
    for i, c in enumerate(clusters):
        for alias in c.synonyms:
            for j in by_name.get((_family(c.type), fold(alias)), ()):
                comps.union(j, i)
    groups: dict[int, list[Cluster]] = defaultdict(list)
    for i, c in enumerate(clusters):
        groups[comps.find(i)].append(c)
    return [groups[root] for root in sorted(groups)]

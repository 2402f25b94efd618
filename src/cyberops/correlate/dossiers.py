"""Incident dossiers: the incidents of many records grouped into one dossier per operation.

:func:`update_dossiers` is the one algorithm; :func:`build_dossiers` is it run from nothing.
Records are taken oldest first (date, then id) so the result does not depend on input order.
Each member incident joins the best dossier it links to (see :mod:`cyberops.correlate.linking`)
or opens a new one whose id is a hash of its founding ``document#incident`` — so re-running
never renumbers. An incident that strongly links two dossiers which do not contradict each
other merges them under the older id. A record seen again (re-analysis) first leaves its
dossiers; its old members are kept as ghosts for the run, so that it lands where it was.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from cyberops.correlate.extract import extract
from cyberops.correlate.linking import WEAK, contradicts, index_keys, link
from cyberops.correlate.model import Dossier, Member
from cyberops.record import Record


@dataclass
class DossierUpdate:
    """What an update did: every dossier now, which to (re)save, and which to delete."""

    dossiers: list[Dossier]
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Dossier id merged away -> the id it lives on under.
    merged: dict[str, str] = field(default_factory=dict)


def dossier_id(key: str) -> str:
    return "dos-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def record_keys(record: Record) -> set[str]:
    """Lookup keys of a record, for a store that preselects candidate dossiers by key."""
    return {key for member in extract(record).members for key in index_keys(member)}


def dossier_keys(dossier: Dossier) -> set[str]:
    """Lookup keys of a dossier; a record can only join dossiers it shares a key with."""
    return {key for member in dossier.members for key in index_keys(member)}


def build_dossiers(
    records: Iterable[Record],
    first_seen: Mapping[str, str] | None = None,
    same_story: Mapping[str, str] | None = None,
) -> list[Dossier]:
    """Dossiers of ``records`` from scratch; see :func:`update_dossiers` for the arguments."""
    return update_dossiers([], records, first_seen, same_story).dossiers


@dataclass
class _Work:
    dossier: Dossier
    # Older first: existing dossiers before new ones, then by first date, then id.
    rank: tuple[int, str, str]
    ghosts: list[Member] = field(default_factory=list)

    def all_members(self) -> list[Member]:
        return self.dossier.members + self.ghosts


def update_dossiers(
    existing: Iterable[Dossier],
    new_records: Iterable[Record],
    first_seen: Mapping[str, str] | None = None,
    same_story: Mapping[str, str] | None = None,
) -> DossierUpdate:
    """Correlate ``new_records`` into ``existing`` dossiers (which are not modified; copies are).

    ``existing`` need only hold the dossiers that share a key with the new records (see
    :func:`record_keys` / :func:`dossier_keys`). ``first_seen`` dates records without a
    published date (document id -> ISO date); ``same_story`` maps a document id to its
    near-duplicate group, so that copies of one story always share a dossier.
    """
    first_seen, same_story = first_seen or {}, same_story or {}
    works: dict[str, _Work] = {}
    for dossier in existing:
        dossier = copy.deepcopy(dossier)
        works[dossier.id] = _Work(dossier, (0, dossier.first_date or "9999", dossier.id))
    records = {r.id: r for r in new_records}
    changed: set[str] = set()
    for work in works.values():
        stale = [m for m in work.dossier.members if m.document_id in records]
        if stale:
            work.ghosts = stale
            work.dossier.members = [m for m in work.dossier.members if m.document_id not in records]
            work.dossier.timeline = [e for e in work.dossier.timeline if e.document_id not in records]
            changed.add(work.dossier.id)
    merged: dict[str, str] = {}
    index: dict[str, set[str]] = {}
    for work in works.values():
        for member in work.all_members():
            for key in index_keys(member):
                index.setdefault(key, set()).add(work.dossier.id)

    def live(dossier_id_: str) -> str:
        while dossier_id_ in merged:
            dossier_id_ = merged[dossier_id_]
        return dossier_id_

    def order(record: Record) -> tuple[str, str]:
        return (record.published or first_seen.get(record.id) or "9999", record.id)

    for record in sorted(records.values(), key=order):
        extracted = extract(record, first_seen.get(record.id), same_story.get(record.id))
        home: dict[str, str] = {}
        for member in extracted.members:
            target = _place(member, works, index, live, merged)
            works[target].dossier.members.append(member)
            changed.add(target)
            home[member.incident_id] = target
            for key in index_keys(member):
                index.setdefault(key, set()).add(target)
        for incident_id, event in extracted.events:
            target = live(home[incident_id])
            works[target].dossier.timeline.append(event)
    removed = set(merged) | {w.dossier.id for w in works.values() if not w.dossier.members}
    for work in list(works.values()):
        work.ghosts = []
        if not work.dossier.members:
            del works[work.dossier.id]
        else:
            work.dossier.refresh()
    dossiers = sorted((w.dossier for w in works.values()), key=lambda d: (d.first_date or "9999", d.id))
    return DossierUpdate(
        dossiers=dossiers,
        changed=sorted(live(i) for i in changed if live(i) in works),
        removed=sorted(i for i in removed if i not in works),
        merged={old: live(old) for old in sorted(merged) if live(old) in works},
    )


def _place(
    member: Member,
    works: dict[str, _Work],
    index: dict[str, set[str]],
    live: Callable[[str], str],
    merged: dict[str, str],
) -> str:
    """The id of the dossier ``member`` joins, merging dossiers it bridges; a new one if none fits."""
    candidates = {live(i) for key in index_keys(member) for i in index.get(key, ())}
    scored = []
    for candidate in candidates:
        work = works[candidate]
        strength = max((link(member, other) for other in work.all_members()), default=0)
        if strength and not contradicts([member], work.all_members(), strength):
            scored.append((strength, work))
    if len(scored) > 1 or any(strength > WEAK for strength, _ in scored):
        # A weak link (facts without a name or a date) counts only when it points one way.
        scored = [(strength, work) for strength, work in scored if strength > WEAK]
    if not scored:
        new_id = dossier_id(member.ref)
        if new_id not in works:  # else: a re-analysed founder returns to its own dossier
            works[new_id] = _Work(Dossier(id=new_id, key=member.ref), (1, member.date or "9999", new_id))
        return new_id
    scored.sort(key=lambda item: (-item[0], item[1].rank))
    best_strength, best = scored[0]
    for strength, other in scored[1:]:
        best_members = best.all_members() + [member]
        if contradicts(best_members, other.all_members(), min(best_strength, strength)):
            continue
        best = _merge(best, other, works, merged)
    return best.dossier.id


def _merge(a: _Work, b: _Work, works: dict[str, _Work], merged: dict[str, str]) -> _Work:
    keep, gone = (a, b) if a.rank <= b.rank else (b, a)
    keep.dossier.members.extend(gone.dossier.members)
    keep.dossier.timeline.extend(gone.dossier.timeline)
    keep.ghosts.extend(gone.ghosts)
    merged[gone.dossier.id] = keep.dossier.id
    del works[gone.dossier.id]
    return keep

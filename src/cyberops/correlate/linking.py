"""The linking rule: when does an incident belong to a dossier.

A link needs positive evidence between the incident and one member of the dossier:

1. the same story (near-duplicate documents);
2. a shared named operation (Cloud Hopper, PRISM-as-program);
3. a shared malware, with a shared victim state, attributed state or incident type;
4. a shared threat actor, with a shared victim state or both reports within ``STATE_WINDOW_DAYS``;
   when either report is undated, with a shared victim state *and* a shared incident type;
5. no name, but the same victim state, attributed state and incident type, both dated within
   ``STATE_WINDOW_DAYS``;
6. no name, but evidence sentences in the same words (``TEXT_THRESHOLD``), a shared victim state,
   and attributed states and types that meet where both are known;
7. (weak) no name and a report undated, but the same victim and attributed states and a shared
   type: taken only when it is the one dossier the incident links to.

A missing date is unknown: it neither brings two reports close nor sets them apart.
For 3 and 4, typed incidents must share a type: a group's ransomware campaign and its
espionage campaign are two dossiers.

And it must not contradict the dossier as a whole (victims disjoint, attributed states
disjoint, incident types of unrelated kinds, or dates more than ``ENTITY_WINDOW_DAYS`` away).
An incident blamed on several states does not widen a dossier's attributed states when others
name one attacker, so it cannot bridge two states' operations. Positive evidence is pairwise
but the veto is against the whole dossier: a member with empty fields can join, but cannot
make two contradicting dossiers one. A state alone never links.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from cyberops.correlate.duplicates import SKETCH_SIZE, Signature, similarity
from cyberops.correlate.model import Member

STORY, OPERATION, STRONG, WEAK, NONE = 4, 3, 2, 1, 0
# Evidence sentences this alike (Jaccard of their words) tell the same incident in the same words.
TEXT_THRESHOLD = 0.5
# How many of the smallest evidence hashes serve as lookup keys.
TEXT_KEYS = 4
# Reports, attributions and sanctions on one operation can come a year apart (an intrusion
# attributed months later, sanctioned later still); beyond that a shared actor is a new campaign.
ENTITY_WINDOW_DAYS = 400
# Without a shared name, two reports of one victim/attacker/type are one operation only when close.
STATE_WINDOW_DAYS = 30
# ...and such a dossier does not keep growing by states alone past this span from its first date.
STATE_SPAN_DAYS = 90
# Incident types that one operation is often reported under by different outlets.
TYPE_FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"espionage", "data_breach", "hack_and_leak", "phishing", "surveillance"}),
    frozenset({"ransomware", "sabotage", "data_breach"}),
    frozenset({"ddos", "defacement"}),
    frozenset({"financial_theft", "phishing"}),
    frozenset({"vulnerability"}),
)


def to_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def days_apart(a: str | None, b: str | None) -> int | None:
    da, db = to_date(a), to_date(b)
    return abs((da - db).days) if da and db else None


def index_keys(member: Member) -> set[str]:
    """Keys under which a member can be found: any positive link shares at least one."""
    keys = {f"e:{key}" for key in member.entity_keys()}
    keys |= {f"p:{v}>{a}" for v in member.victim_states for a in member.attributed_states}
    if member.story:
        keys.add(f"s:{member.story}")
    keys |= {f"t:{h:016x}" for h in member.sketch[:TEXT_KEYS]}
    return keys


def text_similarity(a: Member, b: Member) -> float:
    """Estimated Jaccard similarity of the words of the two incidents' evidence (0.0 when unknown)."""
    if not a.sketch or not b.sketch:
        return 0.0
    k = min(len(a.sketch), len(b.sketch), SKETCH_SIZE)
    return similarity(Signature(tuple(a.sketch)), Signature(tuple(b.sketch)), k)


def link(new: Member, old: Member) -> int:
    """Strength of the positive evidence that two member incidents are one operation.

    A missing date is unknown: it neither brings two reports close nor sets them apart.
    """
    if new.story and new.story == old.story:
        return STORY
    shared = new.entity_keys() & old.entity_keys()
    victims = bool(set(new.victim_states) & set(old.victim_states))
    attributed = bool(set(new.attributed_states) & set(old.attributed_states))
    same_types = bool(set(new.types) & set(old.types))
    apart = days_apart(new.date, old.date)
    close = apart is not None and apart <= STATE_WINDOW_DAYS
    undated = new.date is None or old.date is None
    if shared:
        kinds = {e.type for e in new.entities + old.entities if shared & set(e.keys)}
        if "operation" in kinds:
            return OPERATION
        # The same group or tool used for another kind of attack is another operation.
        if new.types and old.types and not same_types:
            return NONE
        if "malware" in kinds and (victims or attributed or same_types):
            return STRONG
        if undated:
            # No time to tell a group's campaigns apart: its name needs both the victim and the kind.
            return STRONG if victims and same_types else NONE
        # A group runs many operations against many states: its name links only together
        # with a shared victim state, or with two reports close in time.
        if victims or close:
            return STRONG
        return NONE
    # Two different named actors on each side are two operations, however alike the states.
    named_apart = bool(new.entities and old.entities)
    if victims and attributed and same_types and close and not named_apart:
        return STRONG
    if not named_apart and _agree(new, old) and text_similarity(new, old) >= TEXT_THRESHOLD:
        return STRONG  # the same facts told in the same words
    if undated and not named_apart and _same_facts(new, old):
        return WEAK  # taken only when it is the one dossier that fits (see ``dossiers._place``)
    return NONE


def _agree(a: Member, b: Member) -> bool:
    """A shared victim state, and attackers and kinds that, where known on both sides, meet."""
    if not set(a.victim_states) & set(b.victim_states):
        return False
    pairs = ((a.attributed_states, b.attributed_states), (a.types, b.types))
    return all(set(x) & set(y) for x, y in pairs if x and y)


def _same_facts(a: Member, b: Member) -> bool:
    """The same victim and attributed states (as sets), and a shared kind."""
    return (
        bool(a.victim_states)
        and bool(a.attributed_states)
        and set(a.victim_states) == set(b.victim_states)
        and set(a.attributed_states) == set(b.attributed_states)
        and bool(set(a.types) & set(b.types))
    )


def contradicts(members: Iterable[Member], others: Iterable[Member], strength: int) -> bool:
    """Whether two groups of members cannot be one operation, given the link found between them."""
    a, b = list(members), list(others)
    if strength >= STORY:
        return False
    if _disjoint(_firm_attributed(a), _firm_attributed(b)):
        return True
    if strength >= OPERATION:
        return False  # a named operation is one operation, whenever and wherever it is reported
    if _disjoint([s for m in a for s in m.victim_states], [s for m in b for s in m.victim_states]):
        return True
    if not _types_compatible({t for m in a for t in m.types}, {t for m in b for t in m.types}):
        return True
    dates_a = sorted(d for d in (m.date for m in a) if d is not None and to_date(d))
    dates_b = sorted(d for d in (m.date for m in b) if d is not None and to_date(d))
    if dates_a and dates_b:
        gap = min(days_apart(x, y) or 0 for x in (dates_a[0], dates_a[-1]) for y in (dates_b[0], dates_b[-1]))
        overlapping = dates_a[0] <= dates_b[-1] and dates_b[0] <= dates_a[-1]
        if not overlapping and gap > ENTITY_WINDOW_DAYS:
            return True
        if strength <= STRONG and not _shares_name(a, b):
            # A link by states alone: keep the dossier to a short span.
            span = days_apart(min(dates_a[0], dates_b[0]), max(dates_a[-1], dates_b[-1])) or 0
            if span > STATE_SPAN_DAYS:
                return True
    return False


def _firm_attributed(members: list[Member]) -> list[str]:
    """The attributed states of a group, where one incident blamed on several states widens nothing.

    A sanctions list or a confused extraction can put two operations' attackers on one incident;
    its states count only when no member names a single attacker.
    """
    single = [s for m in members if len(m.attributed_states) == 1 for s in m.attributed_states]
    return single or [s for m in members for s in m.attributed_states]


def _shares_name(a: list[Member], b: list[Member]) -> bool:
    keys = {k for m in a for k in m.entity_keys()}
    return any(keys & m.entity_keys() for m in b)


def _disjoint(a: list[str], b: list[str]) -> bool:
    return bool(a) and bool(b) and not set(a) & set(b)


def _types_compatible(a: set[str], b: set[str]) -> bool:
    if not a or not b or a & b:
        return True
    return any(a & family and b & family for family in TYPE_FAMILIES)

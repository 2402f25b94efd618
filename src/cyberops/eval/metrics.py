"""The scoring rules of RECORD.md ("Scoring") as pure functions over record-shaped dicts.

Every function takes the predicted and the gold side of *one* document; the
runner sums their :class:`Counts` over documents, which is what "micro-averaged
over the gold file" means. Predicted and gold records have the same shape
except that a gold claim's ``speaker`` is a string and a predicted one an
object; no rule here looks at the speaker.

Zero denominators: precision is ``None`` when nothing was predicted, recall
``None`` when the gold has nothing, and F1 is ``2·TP / (2·TP + FP + FN)`` —
the harmonic mean when both exist, 0 when only one side has items, and
``None`` only when neither side has any.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cyberops.eval.matching import maximum_matching
from cyberops.eval.names import name_tokens, normalize_name

Item = dict[str, Any]
ACTOR_TYPES: frozenset[str] = frozenset({"threat_actor", "malware", "operation"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives of one metric."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def predicted(self) -> int:
        return self.tp + self.fp

    @property
    def gold(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return self.tp / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.gold if self.gold else None

    @property
    def f1(self) -> float | None:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "n": self.gold,
        }


@dataclass(frozen=True)
class PublishedCounts:
    """Publication dates: right, wrong, missing, and given where the gold has none.

    A wrong date is worse than none, so ``wrong`` and ``spurious`` are kept
    apart from ``missing`` although all three lower nothing but accuracy.
    """

    correct: int = 0
    wrong: int = 0
    missing: int = 0
    spurious: int = 0

    def __add__(self, other: PublishedCounts) -> PublishedCounts:
        return PublishedCounts(
            self.correct + other.correct,
            self.wrong + other.wrong,
            self.missing + other.missing,
            self.spurious + other.spurious,
        )

    @property
    def dated(self) -> int:
        """Documents whose gold date is not null: the denominator of accuracy."""
        return self.correct + self.wrong + self.missing

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.dated if self.dated else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "correct": self.correct,
            "wrong": self.wrong,
            "missing": self.missing,
            "given_where_gold_null": self.spurious,
            "n": self.dated,
        }


@dataclass(frozen=True)
class Alignment:
    """A one-to-one matching of gold and predicted items of one document."""

    matched: list[tuple[Item, Item]] = field(default_factory=list)  # (gold, predicted)
    missed: list[Item] = field(default_factory=list)
    spurious: list[Item] = field(default_factory=list)

    @property
    def counts(self) -> Counts:
        return Counts(len(self.matched), len(self.spurious), len(self.missed))


def align(gold: Sequence[Item], predicted: Sequence[Item], compatible: Callable[[Item, Item], bool]) -> Alignment:
    """Maximum one-to-one matching of ``predicted`` to ``gold`` (see :mod:`.matching`)."""
    pairs = maximum_matching(gold, predicted, compatible)
    gold_done = {i for i, _ in pairs}
    predicted_done = {j for _, j in pairs}
    return Alignment(
        matched=[(gold[i], predicted[j]) for i, j in pairs],
        missed=[item for i, item in enumerate(gold) if i not in gold_done],
        spurious=[item for j, item in enumerate(predicted) if j not in predicted_done],
    )


def set_counts(predicted: Collection[str], gold: Collection[str]) -> Counts:
    """Set precision/recall counts of one document."""
    predicted, gold = set(predicted), set(gold)
    return Counts(len(predicted & gold), len(predicted - gold), len(gold - predicted))


# -- claims -----------------------------------------------------------------


def claim_matches(gold: Item, predicted: Item) -> bool:
    """RECORD.md, claims: same ``kind``; ``speaker_state`` and ``subject_state``
    equal, a ``null`` in the gold accepting any predicted value."""
    if gold.get("kind") != predicted.get("kind"):
        return False
    return all(
        gold.get(key) is None or gold.get(key) == predicted.get(key) for key in ("speaker_state", "subject_state")
    )


def align_claims(predicted: Sequence[Item], gold: Sequence[Item]) -> Alignment:
    """RECORD.md, claims: each gold claim matched at most once, as many matches as possible.

    Precision = matched / predicted, recall = matched / gold (via ``.counts``).
    """
    return align(gold, predicted, claim_matches)


def claim_counts_by_kind(alignment: Alignment) -> dict[str, Counts]:
    """The claims alignment split by ``kind`` (a match always joins two claims of one kind)."""
    by_kind: dict[str, Counts] = {}

    def add(kind: str, counts: Counts) -> None:
        by_kind[kind] = by_kind.get(kind, Counts()) + counts

    for gold, _ in alignment.matched:
        add(gold["kind"], Counts(tp=1))
    for claim in alignment.spurious:
        add(str(claim.get("kind")), Counts(fp=1))
    for claim in alignment.missed:
        add(claim["kind"], Counts(fn=1))
    return by_kind


# -- state sets ---------------------------------------------------------------


def reported_incidents(record: Item) -> list[Item]:
    """Incidents the article is about; ``referenced`` background ones never score."""
    return [i for i in record.get("incidents") or [] if i.get("status") == "reported"]


def held_responsible_states(record: Item) -> set[str]:
    """RECORD.md, attribution: non-null ``subject_state`` of ``attribution`` claims plus
    ``attributed_states`` of reported incidents."""
    states = {
        c["subject_state"]
        for c in record.get("claims") or []
        if c.get("kind") == "attribution" and c.get("subject_state")
    }
    for incident in reported_incidents(record):
        states.update(s for s in incident.get("attributed_states") or [] if s)
    return states


def denying_states(record: Item) -> set[str]:
    """RECORD.md, denial: non-null ``speaker_state`` of ``denial`` claims."""
    return {
        c["speaker_state"] for c in record.get("claims") or [] if c.get("kind") == "denial" and c.get("speaker_state")
    }


def incident_types(record: Item, types: Collection[str] | None = None) -> set[str]:
    """RECORD.md, incident types: the set over reported incidents, cut to ``types`` if given.

    The restriction applies to both sides (CASIE annotates only four types, so a
    predicted ``espionage`` there is not an error; see its README).
    """
    found = {t for i in reported_incidents(record) for t in i.get("types") or []}
    return found if types is None else found & set(types)


def victim_states(record: Item) -> set[str]:
    """RECORD.md, victim states: the set over reported incidents."""
    return {s for i in reported_incidents(record) for s in i.get("victim_states") or [] if s}


# -- entities -----------------------------------------------------------------


def entity_names(entity: Item) -> set[str]:
    """Normalised name and aliases of an entity."""
    names: Iterable[str] = [entity.get("name") or "", *(entity.get("aliases") or [])]
    return {n for n in (normalize_name(name) for name in names) if n}


def actor_matches(gold: Item, predicted: Item) -> bool:
    """RECORD.md, actors: any name or alias equals any gold name or alias (case and accents
    ignored). The type is not compared within threat_actor/malware/operation, as in RECORD.md."""
    return bool(entity_names(gold) & entity_names(predicted))


def align_actors(predicted: Sequence[Item], gold: Sequence[Item]) -> Alignment:
    """RECORD.md, actors: threat_actor, malware and operation entities, matched one-to-one."""
    return align(_of_types(gold, ACTOR_TYPES), _of_types(predicted, ACTOR_TYPES), actor_matches)


def person_matches(gold: Item, predicted: Item) -> bool:
    """RECORD.md, persons: the gold name's last token appears among the predicted tokens.

    Aliases count on both sides, because the gold puts the Latin transliteration
    of a name written in another script there (dev README).
    """
    predicted_tokens = {t for name in _names(predicted) for t in name_tokens(name)}
    last_tokens = {tokens[-1] for name in _names(gold) if (tokens := name_tokens(name))}
    return bool(last_tokens & predicted_tokens)


def align_persons(predicted: Sequence[Item], gold: Sequence[Item]) -> Alignment:
    """RECORD.md, persons: person entities, matched one-to-one."""
    return align(_of_types(gold, {"person"}), _of_types(predicted, {"person"}), person_matches)


def _of_types(entities: Sequence[Item], types: Collection[str]) -> list[Item]:
    return [e for e in entities if e.get("type") in types]


def _names(entity: Item) -> list[str]:
    return [n for n in [entity.get("name"), *(entity.get("aliases") or [])] if n]


# -- document-level -------------------------------------------------------------


def relevance_counts(predicted: bool, gold: bool) -> Counts:
    """RECORD.md, relevance: one document, the positive class being ``relevant: true``."""
    return Counts(tp=int(predicted and gold), fp=int(predicted and not gold), fn=int(gold and not predicted))


def normalize_date(value: Any) -> str | None:
    """The ``YYYY-MM-DD`` part of an ISO date or datetime, so a time of day is not an error."""
    if not value:
        return None
    text = str(value).strip()
    match = _ISO_DATE.match(text)
    return match.group(0) if match else text


def published_counts(predicted: Any, gold: Any) -> PublishedCounts:
    """RECORD.md, published: exact date over documents whose gold date is not null."""
    predicted, gold = normalize_date(predicted), normalize_date(gold)
    if gold is None:
        return PublishedCounts(spurious=int(predicted is not None))
    if predicted is None:
        return PublishedCounts(missing=1)
    return PublishedCounts(correct=1) if predicted == gold else PublishedCounts(wrong=1)

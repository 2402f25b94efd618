"""What every export shares: the dossier shape, export options, evidence text and state names."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pycountry

from cyberops.errors import CyberopsError
from cyberops.record import Entity, Record, Span

TLP_LEVELS: tuple[str, ...] = ("clear", "green", "amber", "amber+strict", "red")


class ExportError(CyberopsError):
    """Records could not be read or exported."""


@dataclass(frozen=True)
class Dossier:
    """A group of records an analyst put together, exported as one unit (a STIX grouping, one MISP event)."""

    id: str
    title: str
    records: Sequence[Record]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class ExportOptions:
    """Choices that shape an export; ``timestamp`` is the only clock the converters read."""

    tlp: str = "clear"
    # created/modified of every STIX object and the MISP event timestamp: an importer keeps
    # the newest version of an id, so a re-export with a later timestamp updates in place.
    timestamp: datetime = field(default_factory=_now)
    # Irrelevant records carry no facts; exporting them only adds empty reports.
    include_irrelevant: bool = False

    def __post_init__(self) -> None:
        tlp = normalize_tlp(self.tlp)
        object.__setattr__(self, "tlp", tlp)
        if self.timestamp.tzinfo is None:
            raise ExportError("ExportOptions.timestamp must be timezone-aware (use datetime.now(UTC))")


def normalize_tlp(value: str) -> str:
    """``TLP:AMBER``, ``amber``, ``white`` (the TLP 1.0 name of clear) -> the TLP 2.0 level name."""
    level = value.strip().lower().removeprefix("tlp:")
    level = "clear" if level == "white" else level
    if level not in TLP_LEVELS:
        raise ExportError(f"unknown TLP level {value!r}; use one of {', '.join(TLP_LEVELS)}")
    return level


def selected(records: Iterable[Record], options: ExportOptions) -> list[Record]:
    return [r for r in records if r.relevant or options.include_irrelevant]


def span_text(record: Record, span: Span) -> str:
    return " ".join(record.text[span.start : span.end].split())


def evidence_text(record: Record, spans: Sequence[Span]) -> str:
    """The evidence sentences of a fact, in text order, joined by `` … ``."""
    return " … ".join(span_text(record, s) for s in sorted(spans))


def evidence_spans(spans: Sequence[Span]) -> list[dict[str, int]]:
    """Offsets into the record's text; the sentences themselves travel once, in the object's text field."""
    return [s.to_dict() for s in sorted(spans)]


# ISO names that read oddly in "Government of ...": the names news and analysts use instead.
_SHORT_NAMES = {
    "EU": "European Union",
    "RU": "Russia",
    "IR": "Iran",
    "KR": "South Korea",
    "KP": "North Korea",
    "SY": "Syria",
    "VN": "Vietnam",
    "VE": "Venezuela",
    "TW": "Taiwan",
    "MD": "Moldova",
    "PS": "Palestine",
}


@cache
def state_name(code: str) -> str:
    """A readable name for an ISO alpha-2 code (``EU`` included); the code itself if unknown."""
    if code in _SHORT_NAMES:
        return _SHORT_NAMES[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def resolve_name(record: Record, name: str | None, types: Iterable[str]) -> Entity | None:
    """The record's entity that a free-text name (``incident.actors``, ``claim.subject_actor``) points to.

    The analyzer writes these as surface names ("groupe Lazarus"), not entity ids, so they are
    matched to an entity's name or alias, then by containment; an unmatched name yields ``None``
    rather than a guessed object (precision over recall).
    """
    if not name:
        return None
    wanted = set(types)
    candidates = [e for e in record.entities if e.type in wanted]
    folded = name.casefold().strip()
    for entity in candidates:
        if entity.id == name or folded in {n.casefold() for n in (entity.name, *entity.aliases)}:
            return entity
    for entity in candidates:
        for form in (entity.name, *entity.aliases):
            form = form.casefold()
            if len(form) >= 4 and (form in folded or folded in form):
                return entity
    return None


def read_records(path: Path | str, stdin: Iterable[str] | None = None) -> Iterator[Record]:
    """Records from a JSON Lines file (the output of ``cyberops analyze``); ``-`` reads ``stdin``."""
    if str(path) == "-":
        lines: Iterable[str] = stdin if stdin is not None else []
        source = "<stdin>"
    else:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ExportError(f"cannot read records from {path}: {exc}") from exc
        source = str(path)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield Record.from_dict(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise ExportError(
                f"{source}:{number}: not an extraction record ({exc}); export reads the JSON Lines of cyberops analyze"
            ) from exc

"""An article's text cut into plain-text segments, each tagged with the entities and claims whose spans cover it.

The page is built from these segments by the template engine, which escapes
every one: the article is never marked up as HTML and then "cleaned", so
nothing in its text can become markup. Spans overlap freely (a mention
inside a claim's sentence); cutting at every span boundary gives flat
segments that each carry every fact covering them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cyberops.record import Record


@dataclass
class Segment:
    text: str
    entities: list[str] = field(default_factory=list)  # entity ids ("e1")
    claims: list[str] = field(default_factory=list)  # claim ids ("c2")
    incidents: list[str] = field(default_factory=list)  # incident ids ("i1")

    @property
    def marked(self) -> bool:
        return bool(self.entities or self.claims or self.incidents)


def segments(record: Record) -> list[Segment]:
    """The record's text as consecutive segments; spans outside the text are clipped, empty ones ignored."""
    text = record.text
    size = len(text)
    owners: list[tuple[int, int, str, str]] = []
    for entity in record.entities:
        owners.extend((m.start, m.end, "entities", entity.id) for m in entity.mentions)
    for claim in record.claims:
        owners.extend((s.start, s.end, "claims", claim.id) for s in claim.evidence)
    for incident in record.incidents:
        owners.extend((s.start, s.end, "incidents", incident.id) for s in incident.evidence)
    spans = [(max(0, s), min(size, e), kind, ref) for s, e, kind, ref in owners if min(size, e) > max(0, s)]
    cuts = sorted({0, size, *(s for s, *_ in spans), *(e for _, e, *_ in spans)})
    found: list[Segment] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        segment = Segment(text[start:end])
        for span_start, span_end, kind, ref in spans:
            if span_start <= start and end <= span_end:
                refs = getattr(segment, kind)
                if ref not in refs:
                    refs.append(ref)
        found.append(segment)
    return found


def evidence_text(record: Record, spans: list) -> list[str]:
    """The sentences a fact comes from, as plain text."""
    return [record.text[s.start : s.end] for s in spans if 0 <= s.start < s.end <= len(record.text)]

"""Which records an export takes: all of a JSON Lines file, or those of a store chosen by date, state or dossier.

The same rules hold on both sides: ``since``/``until`` compare the record's ``published`` date (records with
no date are left out once a range is asked for), ``state`` keeps records with a claim whose speaker or
subject is that state, and a dossier is exported as one unit under its own id and title.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from cyberops.errors import CyberopsError
from cyberops.export.common import Dossier, ExportError
from cyberops.record import Record
from cyberops.store import RecordStore, SearchFilters
from cyberops.store.schema import documents
from cyberops.store.search import document_conditions


@dataclass(frozen=True)
class Selection:
    """What to export: a date range (YYYY-MM-DD, both ends included), a state, a dossier."""

    since: str | None = None
    until: str | None = None
    state: str | None = None
    dossier: str | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                _date(value, name)
        if self.state is not None:
            if len(self.state) != 2 or not self.state.isalpha():
                raise ExportError(f"--state {self.state!r} is not a state; give its two-letter code (CN, US, RU)")
            object.__setattr__(self, "state", self.state.upper())

    def keeps(self, record: Record) -> bool:
        """Whether ``record`` is in the date range and names the state (the store applies the same rules in SQL)."""
        if self.since or self.until:
            published = (record.published or "")[:10]
            if not published:
                return False
            if self.since and published < _date(self.since, "since").isoformat():
                return False
            if self.until and published > _date(self.until, "until").isoformat():
                return False
        if self.state:
            return any(self.state in (c.speaker_state, c.subject_state) for c in record.claims)
        return True


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ExportError(f"--{name} {value!r} is not a date; write it as YYYY-MM-DD") from exc


def filter_records(records: Iterable[Record], selection: Selection) -> list[Record]:
    """The records of a file that the selection keeps (a dossier can only be chosen in a store)."""
    if selection.dossier:
        raise ExportError("--dossier reads the store: leave out the records file (and give --db URL if needed)")
    return [r for r in records if selection.keeps(r)]


def select_from_store(store: RecordStore, selection: Selection) -> list[Record]:
    """The stored records the selection keeps, oldest first (undated last), by document id within a date."""
    if selection.dossier:
        return list(store_dossier(store, selection).records)
    filters = SearchFilters(state=selection.state, since=selection.since, until=selection.until)
    statement = (
        sa.select(documents.c.record)
        .where(*document_conditions(filters))
        .order_by(documents.c.published.nulls_last(), documents.c.id)
    )
    try:
        with store.engine.connect() as conn:
            return [Record.from_dict(data) for data in conn.execute(statement).scalars()]
    except CyberopsError as exc:
        raise ExportError(str(exc)) from exc


def store_dossier(store: RecordStore, selection: Selection) -> Dossier:
    """The dossier named by the selection, with its stored records (narrowed by the date range and state)."""
    assert selection.dossier, "a dossier id is given"
    found = store.get_dossier(selection.dossier)
    if found is None:
        raise ExportError(
            f"no dossier {selection.dossier!r} in this store; list its dossiers with `cyberops dossiers` (same --db)"
        )
    records = [r for r in (store.get(d) for d in found.document_ids) if r is not None and selection.keeps(r)]
    return Dossier(found.id, found.title or found.key, records)

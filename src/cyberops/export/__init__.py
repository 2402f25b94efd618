"""Exports of extraction records to the formats analysts exchange, and STIX import into the KB.

Converters are pure (records + options -> objects, deterministic ids); the ``write_*``
functions here are the only I/O. See ``docs/export-mapping.md`` for every mapping rule.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from cyberops.export.common import (
    TLP_LEVELS,
    Dossier,
    ExportError,
    ExportOptions,
    normalize_tlp,
    read_records,
)
from cyberops.export.selection import Selection, filter_records, select_from_store, store_dossier
from cyberops.record import Record

__all__ = [
    "TLP_LEVELS",
    "Dossier",
    "ExportError",
    "ExportOptions",
    "Selection",
    "filter_records",
    "normalize_tlp",
    "read_records",
    "select_from_store",
    "store_dossier",
    "write_misp",
    "write_stix",
    "write_table",
]


def _write_text(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot write {output}: {exc}") from exc


def _dossier(records: list[Record], dossier_title: str | None, dossier: Dossier | None) -> Dossier | None:
    """The dossier to export as one unit: a stored one, or all the records under a title."""
    from cyberops.export.ids import key_part

    if dossier is not None:
        return dossier
    return Dossier(key_part(dossier_title), dossier_title, records) if dossier_title else None


def write_stix(
    records: Iterable[Record],
    output: Path | None,
    options: ExportOptions,
    dossier_title: str | None = None,
    dossier: Dossier | None = None,
) -> int:
    """Write one STIX 2.1 bundle (a grouping too for a dossier, or all records under ``dossier_title``);
    returns the object count."""
    from cyberops.export.stix import bundle_json, to_stix_bundle

    records = list(dossier.records if dossier is not None else records)
    dossier = _dossier(records, dossier_title, dossier)
    bundle = to_stix_bundle(records, options, dossier)
    _write_text(bundle_json(bundle), output)
    return len(bundle.objects)


def write_misp(
    records: Iterable[Record],
    output: Path | None,
    options: ExportOptions,
    dossier_title: str | None = None,
    dossier: Dossier | None = None,
) -> int:
    """MISP events: one event for a dossier (a JSON file), else one per document.

    Per document, ``output`` is a folder written as a MISP feed (``<uuid>.json`` + ``manifest.json``)
    that a MISP instance can subscribe to; without ``output`` the events go to stdout as JSON Lines.
    Returns the number of events.
    """
    from cyberops.export.misp import dossier_to_misp, event_json, feed_files, load_galaxy_index, records_to_misp

    galaxies = load_galaxy_index()
    records = list(records)
    dossier = _dossier(records, dossier_title, dossier)
    if dossier is not None:
        event = dossier_to_misp(dossier, galaxies, options)
        _write_text(event_json(event), output)
        return 1
    events = records_to_misp(records, galaxies, options)
    if output is None:
        for event in events:
            sys.stdout.write(event_json(event).replace("\n", "") + "\n")
        return len(events)
    try:
        output.mkdir(parents=True, exist_ok=True)
        for name, text in feed_files(events).items():
            (output / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot write the MISP feed folder {output}: {exc}") from exc
    return len(events)


def write_table(name: str, records: Iterable[Record], output: Path | None, fmt: str, options: ExportOptions) -> int:
    """Write the ``claims``, ``incidents`` or ``entities`` table as CSV or Parquet; returns the row count."""
    from cyberops.export.tabular import to_table, write_csv, write_parquet

    table = to_table(name, records, options)
    if fmt not in ("csv", "parquet"):
        raise ExportError(f"unknown table format {fmt!r}; use csv or parquet")
    writer = write_csv if fmt == "csv" else write_parquet
    try:
        writer(table, output if output is not None else sys.stdout.buffer)
    except OSError as exc:
        raise ExportError(f"cannot write {output}: {exc}") from exc
    return table.num_rows

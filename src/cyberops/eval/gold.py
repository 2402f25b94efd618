"""Gold files in, :class:`GoldDocument` out: what the analyzer sees, and what it should find.

A gold line mixes the input of ``cyberops analyze`` with the expected record
(RECORD.md, "Gold file"). They are split here once, so that no expected field
(``published``, ``relevant``, ``entities``, ``incidents``, ``claims``, the
annotator's ``notes``) can leak into what the analyzer is given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cyberops.errors import GoldFormatError
from cyberops.record import CLAIM_KINDS, ENTITY_TYPES

# The only fields the analyzer may see. Everything else on a gold line is
# either expected output or annotator metadata (``casie``, ``category``...).
INPUT_FIELDS: tuple[str, ...] = ("id", "url", "outlet", "language", "title", "text", "html")
EXPECTED_LISTS: tuple[str, ...] = ("entities", "incidents", "claims")
INCIDENT_STATUSES: tuple[str, ...] = ("reported", "referenced")
# Documents without a language are grouped under this code in per-language figures.
UNKNOWN_LANGUAGE = "und"


@dataclass(frozen=True)
class GoldDocument:
    """One hand-checked document: ``input`` for the analyzer, ``expected`` for the scorer."""

    id: str
    input: dict[str, Any]
    expected: dict[str, Any]
    language: str
    source_file: Path
    line: int


def load_gold(paths: Iterable[Path]) -> list[GoldDocument]:
    """Read gold JSONL files in the order given; blank lines are skipped.

    Raises :class:`GoldFormatError` naming ``file:line`` for bad JSON, a line
    that is not a gold document, or an id that occurs twice.
    """
    documents: list[GoldDocument] = []
    seen: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise GoldFormatError(f"{path}: cannot read the gold file ({exc.strerror}); check the path") from exc
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            document = _parse_line(line, path, number, where)
            if document.id in seen:
                raise GoldFormatError(
                    f"{where}: id {document.id!r} already used at {seen[document.id]}; "
                    "give every gold document a unique id"
                )
            seen[document.id] = where
            documents.append(document)
    return documents


def _parse_line(line: str, path: Path, number: int, where: str) -> GoldDocument:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GoldFormatError(
            f"{where}: not valid JSON ({exc.msg} at column {exc.colno}); each line must be one JSON object"
        ) from exc
    if not isinstance(data, dict):
        raise GoldFormatError(f"{where}: expected a JSON object per line, got {type(data).__name__}")
    _check_document(data, where)
    expected = {
        "published": data.get("published"),
        "relevant": data["relevant"],
        **{name: list(data.get(name) or []) for name in EXPECTED_LISTS},
    }
    return GoldDocument(
        id=str(data["id"]),
        input={name: data[name] for name in INPUT_FIELDS if name in data},
        expected=expected,
        language=data.get("language") or UNKNOWN_LANGUAGE,
        source_file=path,
        line=number,
    )


def _check_document(data: dict[str, Any], where: str) -> None:
    """Reject what would make the scores meaningless, with the fix in the message."""
    if not data.get("id"):
        raise GoldFormatError(f"{where}: missing 'id'; every gold document needs a unique id")
    if "text" not in data and "html" not in data:
        raise GoldFormatError(f"{where}: needs 'text' or 'html' (the article the analyzer reads)")
    if not isinstance(data.get("relevant"), bool):
        raise GoldFormatError(f"{where}: 'relevant' must be true or false")
    for name in EXPECTED_LISTS:
        if not isinstance(data.get(name) or [], list):
            raise GoldFormatError(f"{where}: {name!r} must be a list")
    for claim in data.get("claims") or []:
        if not isinstance(claim, dict) or claim.get("kind") not in CLAIM_KINDS:
            kind = claim.get("kind") if isinstance(claim, dict) else claim
            raise GoldFormatError(f"{where}: claim kind {kind!r} is not one of {', '.join(CLAIM_KINDS)}")
    for entity in data.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("type") not in ENTITY_TYPES or not entity.get("name"):
            raise GoldFormatError(
                f"{where}: entity {entity!r} needs a 'name' and a 'type' among {', '.join(ENTITY_TYPES)}"
            )
    for incident in data.get("incidents") or []:
        if not isinstance(incident, dict) or incident.get("status") not in INCIDENT_STATUSES:
            raise GoldFormatError(f"{where}: incident status must be 'reported' or 'referenced': {incident!r}")

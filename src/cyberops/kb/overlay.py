"""The KB overlay: entities and aliases imported from other tools, kept in one JSON file.

``cyberops import stix`` writes it (in the user data directory, ``Settings.kb_overlay``);
the KB build reads it and feeds its entries to the same cluster merge as the MISP galaxies,
so an imported alias of APT28 joins APT28 instead of making a second entity. The file's
bytes are part of the KB artifact's content hash, so any change to it triggers a rebuild.

Format (version 1)::

    {"version": 1,
     "entries": [{"name": "Example Panda", "type": "threat_actor", "aliases": ["EXP-1"],
                  "mitre": null, "misp": null, "state": null, "sources": ["intrusion-set--..."]}]}
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cyberops.errors import KnowledgeBaseError
from cyberops.kb.galaxies import Cluster

OVERLAY_VERSION = 1
OVERLAY_TYPES = ("threat_actor", "malware")
OVERLAY_SOURCE = "overlay"


@dataclass
class OverlayEntry:
    """An imported entity, or (when its name is an existing entity's name) new aliases for it."""

    name: str
    type: str
    aliases: list[str] = field(default_factory=list)
    mitre: str | None = None
    misp: str | None = None
    state: str | None = None
    # Ids of the STIX objects this entry came from, so an analyst can trace it back.
    sources: list[str] = field(default_factory=list)


def read_overlay(path: Path) -> list[OverlayEntry]:
    """The overlay's entries; an absent file is an empty overlay."""
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KnowledgeBaseError(
            f"cannot read the KB overlay {path}: {exc}; fix the JSON or delete the file to drop imported entities"
        ) from exc
    entries_ok = isinstance(data, dict) and isinstance(data.get("entries"), list)
    if not entries_ok or data.get("version") != OVERLAY_VERSION:
        raise KnowledgeBaseError(f"{path}: not a version {OVERLAY_VERSION} KB overlay (expected version and entries)")
    entries = []
    for i, raw in enumerate(data["entries"]):
        try:
            entry = OverlayEntry(**raw)
        except TypeError as exc:
            raise KnowledgeBaseError(f"{path}: entries[{i}]: {exc}") from exc
        if not isinstance(entry.name, str) or not entry.name.strip() or entry.type not in OVERLAY_TYPES:
            raise KnowledgeBaseError(f"{path}: entries[{i}]: needs a name and a type among {', '.join(OVERLAY_TYPES)}")
        if not isinstance(entry.aliases, list) or not all(isinstance(a, str) for a in entry.aliases):
            raise KnowledgeBaseError(f"{path}: entries[{i}]: aliases must be a list of strings")
        entries.append(entry)
    return entries


def overlay_bytes(entries: list[OverlayEntry]) -> bytes:
    data: dict[str, Any] = {"version": OVERLAY_VERSION, "entries": [asdict(e) for e in entries]}
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def write_overlay(path: Path, entries: list[OverlayEntry]) -> None:
    """Replace the overlay atomically: a reader sees the old file or the new one, never half of one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".kb-overlay-", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise KnowledgeBaseError(
            f"cannot write the KB overlay in {path.parent}: {exc}; set CYBEROPS_DATA_DIR to a writable folder"
        ) from exc
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(overlay_bytes(entries))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def overlay_clusters(entries: list[OverlayEntry]) -> list[Cluster]:
    """Overlay entries as clusters, last in priority: galaxy and curated names stay canonical."""
    return [
        Cluster(
            source=OVERLAY_SOURCE,
            type=e.type,
            name=e.name,
            synonyms=list(e.aliases),
            uuid=e.misp,
            mitre={e.mitre} if e.mitre else set(),
            state=e.state,
        )
        for e in entries
    ]

"""Import a STIX bundle from another tool into the knowledge base overlay.

A bundle is validated first (stix2-validator); a malformed one is rejected whole with the
validator's messages, and nothing is written. Intrusion sets, threat actors, malware and
tools become overlay entries, matched against the KB (and the overlay itself) by MITRE or
MISP id, then by name or alias, so that a known group only gains the aliases it lacked and
importing the same bundle twice changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cyberops.errors import CyberopsError
from cyberops.kb.model import KBEntry
from cyberops.kb.overlay import OverlayEntry

# STIX object type -> KB entity type
IMPORTED_TYPES = {
    "intrusion-set": "threat_actor",
    "threat-actor": "threat_actor",
    "malware": "malware",
    "tool": "malware",
}
_MITRE_ID = re.compile(r"^[GS]\d{4}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class BundleError(CyberopsError):
    """A file is not a valid STIX bundle; nothing was imported from it."""


@dataclass(frozen=True)
class Candidate:
    """What a STIX object says about an entity."""

    stix_id: str
    type: str
    name: str
    aliases: tuple[str, ...]
    mitre: str | None
    misp: str | None


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)  # new entities, by name
    extended: dict[str, list[str]] = field(default_factory=dict)  # entity name -> aliases it gained
    unchanged: int = 0
    overlay: list[OverlayEntry] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.extended)


def validate_bundle(text: str, source: str = "bundle") -> dict[str, Any]:
    """The parsed bundle, or :class:`BundleError` naming every validation error."""
    from stix2validator import ValidationOptions, validate_string  # slow import, only when importing

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BundleError(f"{source}: not JSON ({exc}); expected a STIX 2 bundle") from None
    if not isinstance(data, dict) or data.get("type") != "bundle" or not isinstance(data.get("objects"), list):
        raise BundleError(f'{source}: not a STIX bundle (expected an object with "type": "bundle" and "objects")')
    version = "2.0" if data.get("spec_version") == "2.0" else "2.1"
    try:
        result = validate_string(text, ValidationOptions(version=version, silent=True))
    except Exception as exc:  # the validator raises its own zoo of errors on broken input
        raise BundleError(f"{source}: the STIX validator could not read it: {exc}") from None
    if not result.is_valid:
        messages = [str(e) for e in result.errors]
        for obj in getattr(result, "object_results", []) or []:
            messages += [f"{obj.object_id}: {e}" for e in obj.errors]
        shown = "\n  ".join(dict.fromkeys(messages[:20])) or "invalid"
        raise BundleError(f"{source}: not a valid STIX {version} bundle, nothing imported:\n  {shown}")
    return data


def candidates(bundle: dict[str, Any]) -> list[Candidate]:
    """The importable objects of a bundle; revoked and deprecated ones are left out."""
    found = []
    for obj in bundle.get("objects", []):
        etype = IMPORTED_TYPES.get(obj.get("type", ""))
        if not etype or obj.get("revoked") or obj.get("x_mitre_deprecated") or not str(obj.get("name", "")).strip():
            continue
        mitre = misp = None
        for ref in obj.get("external_references", []) or []:
            source, external = str(ref.get("source_name", "")), str(ref.get("external_id", ""))
            if source.startswith("mitre") and _MITRE_ID.match(external):
                mitre = mitre or external
            elif "misp" in source.lower() and _UUID.match(external.lower()):
                misp = misp or external.lower()
        names = [*(obj.get("aliases") or []), *(obj.get("x_mitre_aliases") or [])]
        name = obj["name"].strip()
        aliases = tuple(dict.fromkeys(a.strip() for a in names if isinstance(a, str) and a.strip() and a != name))
        found.append(Candidate(obj["id"], etype, name, aliases, mitre, misp))
    return found


class _Index:
    """Entities by external id and by folded name or alias, for one matching pass."""

    def __init__(self, fold: Callable[[str], str]) -> None:
        self.fold = fold
        self.ids: dict[str, Any] = {}
        self.names: dict[tuple[str, str], Any] = {}

    def key(self, name: str) -> str:
        return " ".join(self.fold(name).split())

    def add(self, target: Any, etype: str, names: Iterable[str], mitre: str | None, misp: str | None) -> None:
        for ext in (mitre, misp):
            if ext:
                self.ids.setdefault(ext, target)
        for name in names:
            self.names.setdefault((etype, self.key(name)), target)

    def find(self, c: Candidate) -> Any:
        for ext in (c.mitre, c.misp):
            if ext and ext in self.ids:
                return self.ids[ext]
        for name in (c.name, *c.aliases):
            hit = self.names.get((c.type, self.key(name)))
            if hit is not None:
                return hit
        return None


def plan_import(
    bundle: dict[str, Any], entries: Iterable[KBEntry], overlay: list[OverlayEntry], fold: Callable[[str], str]
) -> ImportResult:
    """The overlay after importing ``bundle``: pure, so it can be checked before anything is written."""
    result = ImportResult(overlay=[OverlayEntry(**vars(e)) for e in overlay])
    index = _Index(fold)
    known: dict[int, set[str]] = {}  # id(target) -> folded names it already has
    # The overlay is indexed first: an entity it already extends is found with its imported aliases.
    for entry in result.overlay:
        index.add(entry, entry.type, [entry.name, *entry.aliases], entry.mitre, entry.misp)
        known[id(entry)] = {index.key(n) for n in (entry.name, *entry.aliases)}
    # (type, folded name) -> overlay entry: where new aliases of a KB entity go
    extensions: dict[tuple[str, str], OverlayEntry] = {(e.type, index.key(e.name)): e for e in result.overlay}
    for kb_entry in entries:
        if kb_entry.type in ("threat_actor", "malware"):
            names = [kb_entry.name, *kb_entry.aliases]
            index.add(kb_entry, kb_entry.type, names, kb_entry.kb.get("mitre"), kb_entry.kb.get("misp"))
            folded = {index.key(n) for n in names}
            known.setdefault(id(kb_entry), set()).update(folded)
            extension = extensions.get((kb_entry.type, index.key(kb_entry.name)))
            if extension is not None:  # what the KB entity has, its overlay entry has too
                known[id(extension)] |= folded
    for cand in candidates(bundle):
        target = index.find(cand)
        if target is None:
            entry = OverlayEntry(cand.name, cand.type, list(cand.aliases), cand.mitre, cand.misp, None, [cand.stix_id])
            result.overlay.append(entry)
            result.added.append(cand.name)
            index.add(entry, entry.type, [entry.name, *entry.aliases], entry.mitre, entry.misp)
            known[id(entry)] = {index.key(n) for n in (entry.name, *entry.aliases)}
            continue
        have = known.setdefault(id(target), set())
        if isinstance(target, KBEntry):
            have |= {index.key(n) for e in result.overlay if e.name == target.name for n in e.aliases}
        new = [n for n in dict.fromkeys((cand.name, *cand.aliases)) if index.key(n) not in have]
        if not new:
            result.unchanged += 1
            continue
        if isinstance(target, OverlayEntry):
            entry = target
        else:
            # new aliases of a KB entity: an overlay entry under its canonical name (and MITRE id)
            # joins it in the KB's cluster merge
            slot = (target.type, index.key(target.name))
            entry = extensions.get(slot) or OverlayEntry(target.name, target.type, [], target.kb.get("mitre"))
            if slot not in extensions:
                extensions[slot] = entry
                result.overlay.append(entry)
        entry.aliases += new
        if cand.stix_id not in entry.sources:
            entry.sources.append(cand.stix_id)
        have.update(index.key(n) for n in new)
        for name in new:
            index.add(target, cand.type, [name], None, None)
        result.extended.setdefault(target.name, []).extend(new)
    return result


def import_stix_file(path: Path, settings: Any) -> ImportResult:
    """Validate ``path``, merge what it names into the overlay file, and rebuild the KB if it changed."""
    from cyberops.kb import load_kb
    from cyberops.kb.build import build_kb
    from cyberops.kb.overlay import read_overlay, write_overlay

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path}: cannot read it: {exc}") from None
    bundle = validate_bundle(text, str(path))
    kb = load_kb(settings)
    result = plan_import(bundle, kb.entries(), read_overlay(Path(settings.kb_overlay)), kb.fold)
    if result.changed:
        write_overlay(Path(settings.kb_overlay), result.overlay)
        build_kb(settings)
    return result

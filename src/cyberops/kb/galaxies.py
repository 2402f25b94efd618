"""Read the MISP galaxy clusters shipped by ``pymispgalaxies`` into plain cluster records.

Each galaxy is mapped to one entity type; what a record keeps is what linking needs:
names, the MISP uuid, the MITRE ATT&CK id, a suspected state and, for malware, a hint
of what it does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from cyberops.errors import KnowledgeBaseError
from cyberops.kb.countries import country_code

# galaxy file stem -> (entity type, malware kind implied by the galaxy itself)
GALAXIES: dict[str, tuple[str, str | None]] = {
    "threat-actor": ("threat_actor", None),
    "mitre-intrusion-set": ("threat_actor", None),
    "mitre-enterprise-attack-intrusion-set": ("threat_actor", None),
    "mitre-mobile-attack-intrusion-set": ("threat_actor", None),
    "mitre-ics-groups": ("threat_actor", None),
    "microsoft-activity-group": ("threat_actor", None),
    "mitre-malware": ("malware", None),
    "mitre-enterprise-attack-malware": ("malware", None),
    "ransomware": ("malware", "ransomware"),
    "mitre-tool": ("malware", None),
    "tool": ("malware", None),
    "rat": ("malware", "espionage"),
    "backdoor": ("malware", "espionage"),
    "banker": ("malware", "financial_theft"),
    "stealer": ("malware", "data_breach"),
    "botnet": ("malware", "ddos"),
    "malpedia": ("malware", None),
    "surveillance-vendor": ("organization", None),
    "intelligence-agencies": ("organization", None),
    "tidal-campaigns": ("operation", None),
}

_MITRE_ID = re.compile(r"^[GSC]\d{4}$")
_MITRE_REF = re.compile(r"attack\.mitre\.org/(?:wiki/)?(?:groups|software|campaigns|Group|Software)/([GSC]\d{4})")
_MITRE_SUFFIX = re.compile(r"\s+-\s+[GSC]\d{4}$")
# First-sentence words that say what a piece of malware does.
_KIND_WORDS = (
    ("wiper", "sabotage"),
    ("ransomware", "ransomware"),
    ("spyware", "surveillance"),
    ("surveillance", "surveillance"),
    ("banking", "financial_theft"),
    ("ddos", "ddos"),
    ("denial-of-service", "ddos"),
)
#: galaxies of software that may be legitimate; their entries are checked with :data:`_LEGIT_TOOL`
TOOL_GALAXIES = frozenset({"mitre-tool"})
# A first sentence that says the tool is a system utility or legitimate software ("Reg is a Windows
# utility", "BITSAdmin is a command line tool", "ngrok is a legitimate reverse proxy tool").
_LEGIT_TOOL = re.compile(
    r"\blegitimate\b"
    r"|\b(?:Windows|operating system|native|command[- ]line|Unix-based|scripting|free Microsoft|remote assistance)\b"
    r"[^.]{0,25}\b(?:utility|tool|interpreter|program)\b"
    r"|^(?:The )?\[[^\]]+\]\([^)]*\) (?:is a utility|utility|is used to|can be used to|displays)\b",
    re.IGNORECASE,
)


@dataclass
class Cluster:
    """One galaxy cluster (or one curated entry) before merging."""

    source: str
    type: str
    name: str
    synonyms: list[str]
    uuid: str | None = None
    mitre: set[str] = field(default_factory=set)
    state: str | None = None
    malware_kind: str | None = None
    role: str | None = None
    context: tuple[str, ...] = ()
    needs_context: tuple[str, ...] = ()
    #: a legitimate program (system utility, admin tool) that attackers also use
    legit_tool: bool = False


def galaxy_dir() -> Path:
    root = resources.files("pymispgalaxies") / "data" / "misp-galaxy" / "clusters"
    path = Path(str(root))
    if not path.is_dir():
        raise KnowledgeBaseError(
            f"MISP galaxy clusters not found at {path}; reinstall pymispgalaxies "
            "(pip install --force-reinstall pymispgalaxies==1.1.1)"
        )
    return path


def _malware_kind(galaxy_kind: str | None, description: str) -> str | None:
    if galaxy_kind:
        return galaxy_kind
    first = description.split(". ")[0].lower()
    for word, kind in _KIND_WORDS:
        if word in first:
            return kind
    return None


def _cluster(source: str, etype: str, galaxy_kind: str | None, value: dict) -> Cluster:
    meta = value.get("meta", {})
    name = _MITRE_SUFFIX.sub("", value["value"]).strip()
    synonyms = [s for s in meta.get("synonyms", []) if isinstance(s, str)]
    synonyms += [s for s in meta.get("Associated Group Descriptions", []) if isinstance(s, str)]
    mitre = {s for s in synonyms if _MITRE_ID.match(s)}
    if isinstance(meta.get("external_id"), str) and _MITRE_ID.match(meta["external_id"]):
        mitre.add(meta["external_id"])
    for ref in meta.get("refs", []):
        found = _MITRE_REF.search(ref) if isinstance(ref, str) else None
        if found:
            mitre.add(found.group(1))
    state = None
    for key in ("country", "cfr-suspected-state-sponsor"):
        raw = meta.get(key)
        if isinstance(raw, list):
            raw = raw[0] if len(raw) == 1 else None
        if isinstance(raw, str):
            state = country_code(raw)
            if state:
                break
    description = value.get("description", "")
    kind = _malware_kind(galaxy_kind, description) if etype == "malware" else None
    legit = source in TOOL_GALAXIES and bool(_LEGIT_TOOL.search(description.split(". ")[0]))
    return Cluster(source, etype, name, synonyms, value.get("uuid"), mitre, state, kind, legit_tool=legit)


def load_galaxy_clusters(directory: Path | None = None) -> list[Cluster]:
    """All clusters of the galaxies in :data:`GALAXIES`, in that (priority) order."""
    directory = directory or galaxy_dir()
    clusters: list[Cluster] = []
    for stem, (etype, galaxy_kind) in GALAXIES.items():
        path = directory / f"{stem}.json"
        try:
            values = json.loads(path.read_text(encoding="utf-8"))["values"]
        except (OSError, ValueError, KeyError) as exc:
            raise KnowledgeBaseError(f"cannot read MISP galaxy {path}: {exc}; reinstall pymispgalaxies==1.1.1") from exc
        clusters.extend(_cluster(stem, etype, galaxy_kind, v) for v in values if v.get("value"))
    return clusters

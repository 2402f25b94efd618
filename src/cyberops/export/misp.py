"""Records -> MISP events built offline with pymisp: a pure converter plus the galaxy lookup it needs.

One event per document, or one per dossier. Entities linked to a MISP galaxy cluster are
attached by that cluster's tag (``misp-galaxy:threat-actor="APT28"``), found from the uuid
the knowledge base stored on the entity; states by the country galaxy. URLs and evidence
sentences become attributes. See ``docs/export-mapping.md``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date
from pathlib import Path
from typing import Any

from pymisp import MISPAttribute, MISPEvent, MISPGalaxy, MISPGalaxyCluster, MISPOrganisation

from cyberops.errors import KnowledgeBaseError
from cyberops.export.common import Dossier, ExportOptions, evidence_text, selected
from cyberops.export.ids import stable_uuid
from cyberops.record import Claim, Incident, Record

# Which galaxy files are indexed: those the KB links entities from, and countries for states.
_COUNTRY = "country"
# MISP's event enums: analysis 2 = completed (the record is final); threat level 4 = undefined.
_ANALYSIS_COMPLETED = 2
_THREAT_LEVEL_UNDEFINED = 4
_DISTRIBUTION_ORG = 0
_DISTRIBUTION_INHERIT = 5
# The creating organisation of every event: MISP feeds require one.
PRODUCER_ORG_UUID = stable_uuid("misp-org", "cyberops")


@dataclass(frozen=True)
class GalaxyCluster:
    """Enough of a MISP galaxy cluster to tag with it."""

    uuid: str
    value: str
    galaxy_type: str
    galaxy_uuid: str

    @property
    def tag(self) -> str:
        return f'misp-galaxy:{self.galaxy_type}="{self.value}"'


@dataclass(frozen=True)
class GalaxyIndex:
    """Clusters by uuid, and country clusters by ISO alpha-2 code."""

    by_uuid: Mapping[str, GalaxyCluster]
    by_country: Mapping[str, GalaxyCluster]


def _galaxy_uuid(path: Path) -> str | None:
    # A galaxy's own uuid (what MISP's Galaxy table holds) lives in galaxies/, not in the cluster file.
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("uuid")
    except (OSError, ValueError):
        return None


def load_galaxy_index(directory: Path | None = None) -> GalaxyIndex:
    """Read the galaxy clusters shipped by pymispgalaxies (the same files the KB is built from)."""
    from cyberops.kb.galaxies import GALAXIES, galaxy_dir

    directory = directory or galaxy_dir()
    by_uuid: dict[str, GalaxyCluster] = {}
    by_country: dict[str, GalaxyCluster] = {}
    for stem in [*GALAXIES, _COUNTRY]:
        path = directory / f"{stem}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KnowledgeBaseError(f"cannot read MISP galaxy {path}: {exc}; reinstall pymispgalaxies==1.1.1") from exc
        galaxy_uuid = _galaxy_uuid(directory.parent / "galaxies" / f"{stem}.json") or data["uuid"]
        for value in data.get("values", []):
            if not value.get("uuid") or not value.get("value"):
                continue
            cluster = GalaxyCluster(value["uuid"], value["value"], data["type"], galaxy_uuid)
            by_uuid.setdefault(cluster.uuid, cluster)
            iso = value.get("meta", {}).get("ISO") if stem == _COUNTRY else None
            if isinstance(iso, str):
                by_country[iso.upper()] = cluster
    return GalaxyIndex(by_uuid, by_country)


def misp_tlp_tag(level: str) -> str:
    return f"tlp:{level}"


class _Event:
    def __init__(self, uuid: str, info: str, day: date, options: ExportOptions, galaxies: GalaxyIndex) -> None:
        self.options = options
        self.galaxies = galaxies
        self.event = MISPEvent()
        self.event.uuid = uuid
        self.event.info = info
        self.event.set_date(day)
        self.event.analysis = _ANALYSIS_COMPLETED
        self.event.threat_level_id = _THREAT_LEVEL_UNDEFINED
        self.event.distribution = _DISTRIBUTION_ORG
        self.event.timestamp = options.timestamp
        org = MISPOrganisation()
        org.from_dict(name="cyberops", uuid=PRODUCER_ORG_UUID)
        self.event.Orgc = org
        self.event.add_tag(misp_tlp_tag(options.tlp))
        self.tags: set[str] = set()
        self.clusters: dict[str, GalaxyCluster] = {}

    def attach(self, cluster: GalaxyCluster | None) -> None:
        if cluster is not None and cluster.tag not in self.tags:
            self.tags.add(cluster.tag)
            self.clusters[cluster.uuid] = cluster
            self.event.add_tag(cluster.tag)

    def attribute(self, key: str, kind: str, value: str, category: str, comment: str, tags: Iterable[str] = ()) -> None:
        attribute = self.event.add_attribute(
            type=kind,
            value=value,
            category=category,
            comment=comment,
            uuid=stable_uuid("misp-attribute", self.event.uuid, key),
            timestamp=self.options.timestamp,
            to_ids=False,  # article text and links are context, never detection indicators
            distribution=_DISTRIBUTION_INHERIT,
            # tags given here, not added afterwards: a later change marks the attribute edited,
            # and pymisp then drops its timestamp
            Tag=[{"name": tag} for tag in tags],
        )
        assert isinstance(attribute, MISPAttribute)  # a list comes back only for a list of values

    def add_record(self, record: Record) -> None:
        for entity in record.entities:
            self.attach(self.galaxies.by_uuid.get(entity.kb.get("misp", "")))
            if entity.type == "threat_actor" and not entity.kb.get("misp"):
                self.attribute(
                    f"{record.id}:{entity.id}", "threat-actor", entity.name, "Attribution", f"named in {record.id}"
                )
        if record.url:
            self.attribute(
                f"{record.id}:url", "link", record.url, "External analysis", record.title or f"article {record.id}"
            )
        for incident in record.incidents:
            for code in (*incident.attributed_states, *incident.victim_states):
                self.attach(self.galaxies.by_country.get(code))
            if incident.evidence:
                self.attribute(
                    f"{record.id}:{incident.id}",
                    "text",
                    evidence_text(record, incident.evidence),
                    "External analysis",
                    _incident_comment(record, incident),
                    [f'cyberops:incident-status="{incident.status}"'],
                )
        for claim in record.claims:
            for state in (claim.speaker_state, claim.subject_state):
                if state:
                    self.attach(self.galaxies.by_country.get(state))
            if claim.evidence:
                tags = [f'cyberops:claim-kind="{claim.kind}"', f'cyberops:hedged="{str(claim.hedged).lower()}"']
                self.attribute(
                    f"{record.id}:{claim.id}",
                    "text",
                    evidence_text(record, claim.evidence),
                    "External analysis",
                    _claim_comment(record, claim),
                    tags,
                )

    def finish(self) -> MISPEvent:
        # The galaxy blocks carry the clusters' uuids beside the tags, for tools that match by uuid.
        galaxies: dict[str, MISPGalaxy] = {}
        for cluster in self.clusters.values():
            galaxy = galaxies.get(cluster.galaxy_uuid)
            if galaxy is None:
                galaxy = galaxies[cluster.galaxy_uuid] = MISPGalaxy()
                galaxy.from_dict(uuid=cluster.galaxy_uuid, type=cluster.galaxy_type, name=cluster.galaxy_type)
            entry = MISPGalaxyCluster()
            entry.from_dict(uuid=cluster.uuid, value=cluster.value, type=cluster.galaxy_type, tag_name=cluster.tag)
            galaxy.add_galaxy_cluster(**entry)
        for galaxy in galaxies.values():
            self.event.add_galaxy(galaxy)
        return self.event


def _incident_comment(record: Record, incident: Incident) -> str:
    parts = [f"incident {incident.id} ({incident.status}) in {record.id}: {', '.join(incident.types) or 'untyped'}"]
    if incident.victim_states:
        parts.append("victims " + ", ".join(incident.victim_states))
    if incident.attributed_states:
        parts.append("attributed to " + ", ".join(incident.attributed_states))
    if incident.actors:
        parts.append("actors " + ", ".join(incident.actors))
    return "; ".join(parts)


def _claim_comment(record: Record, claim: Claim) -> str:
    speaker = claim.speaker.name or "unnamed source"
    if claim.speaker_state:
        speaker += f" ({claim.speaker_state})"
    text = f"{claim.kind} by {speaker}"
    if claim.subject_state or claim.subject_actor:
        text += " concerning " + " / ".join(filter(None, [claim.subject_state, claim.subject_actor]))
    if claim.measure:
        text += f"; measure {claim.measure}"
    if claim.hedged:
        text += "; hedged"
    return f"{text} [{record.id} {claim.id}]"


def _day(record: Record, options: ExportOptions) -> date:
    try:
        return date.fromisoformat((record.published or "")[:10])
    except ValueError:
        return options.timestamp.astimezone(UTC).date()


def record_to_misp(record: Record, galaxies: GalaxyIndex, options: ExportOptions | None = None) -> MISPEvent:
    """One MISP event for one document."""
    options = options or ExportOptions()
    event = _Event(
        stable_uuid("misp-event", "doc", record.id),
        record.title or record.url or f"cyberops record {record.id}",
        _day(record, options),
        options,
        galaxies,
    )
    event.add_record(record)
    return event.finish()


def dossier_to_misp(dossier: Dossier, galaxies: GalaxyIndex, options: ExportOptions | None = None) -> MISPEvent:
    """One MISP event for a dossier: every record's links, evidence and galaxy tags together."""
    options = options or ExportOptions()
    records = selected(dossier.records, options)
    days = [_day(r, options) for r in records if r.published]
    day = max(days) if days else options.timestamp.astimezone(UTC).date()
    event = _Event(stable_uuid("misp-event", "dossier", dossier.id), dossier.title, day, options, galaxies)
    for record in records:
        event.add_record(record)
    return event.finish()


def records_to_misp(
    records: Iterable[Record], galaxies: GalaxyIndex, options: ExportOptions | None = None
) -> list[MISPEvent]:
    options = options or ExportOptions()
    return [record_to_misp(r, galaxies, options) for r in selected(records, options)]


def event_json(event: MISPEvent) -> str:
    """``{"Event": ...}`` as MISP's "import from JSON" expects, keys sorted for stable bytes."""
    return json.dumps({"Event": json.loads(event.to_json())}, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def feed_files(events: Iterable[MISPEvent]) -> dict[str, str]:
    """A MISP feed as file name -> JSON text: ``<uuid>.json`` per event and ``manifest.json``."""
    files: dict[str, str] = {}
    manifest: dict[str, Any] = {}
    for event in events:
        files[f"{event.uuid}.json"] = json.dumps(event.to_feed(), indent=1, sort_keys=True, ensure_ascii=False)
        manifest.update(event.manifest)
    files["manifest.json"] = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False)
    return files

"""Records -> a STIX 2.1 bundle: a pure converter with deterministic ids (see docs/export-mapping.md).

Objects that name something beyond one article (states, threat actors, malware, persons,
organizations) get ids from global keys, so that two reports naming APT28 share one
intrusion-set; objects that belong to one article (report, incidents, claims) get ids from
the document id and the record's own ids. Every mapping rule is stated in
``docs/export-mapping.md`` and tested in ``tests/export/test_stix.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import stix2
from stix2 import v21

from cyberops.export.common import (
    Dossier,
    ExportOptions,
    evidence_spans,
    evidence_text,
    resolve_name,
    selected,
    state_name,
)
from cyberops.export.ids import key_part, stix_id
from cyberops.record import Claim, Entity, Incident, Record

# The producer of every object: analysts see which tool said what.
PRODUCER_ID = stix_id("identity", "cyberops")

# Claim kinds that take a side on an attribution become opinions (agree/disagree with it);
# the others say something new (a measure, a call, a counter-charge) and become notes.
_OPINION = {"attribution": "strongly-agree", "admission": "strongly-agree", "denial": "strongly-disagree"}
_MITRE_URL = {"G": "groups", "S": "software", "C": "campaigns"}
_MITRE_ID = re.compile(r"^[GSC]\d{4}$")

EXTENSION_ID = stix_id("extension-definition", "cyberops", "1")
EXTENSION = v21.ExtensionDefinition(
    id=EXTENSION_ID,
    created_by_ref=PRODUCER_ID,
    created="2025-01-01T00:00:00.000Z",  # fixed: the definition changes only with its version
    modified="2025-01-01T00:00:00.000Z",
    name="cyberops extraction properties",
    description="x_cyberops_* properties: claim kind, speaker, hedging, evidence spans and sentences.",
    schema="https://github.com/cyberops/cyberops/blob/main/docs/export-mapping.md",
    version="1.0",
    extension_types=["toplevel-property-extension"],
    extension_properties=[
        "x_cyberops_actors",
        "x_cyberops_analyzer",
        "x_cyberops_cues",
        "x_cyberops_document_id",
        "x_cyberops_evidence",
        "x_cyberops_hedged",
        "x_cyberops_kind",
        "x_cyberops_measure",
        "x_cyberops_outlet",
        "x_cyberops_role",
        "x_cyberops_speaker",
        "x_cyberops_speaker_ref",
        "x_cyberops_speaker_role",
        "x_cyberops_speaker_state",
        "x_cyberops_state",
        "x_cyberops_status",
        "x_cyberops_subject_actor",
        "x_cyberops_subject_state",
        "x_cyberops_types",
        "x_cyberops_victim_sectors",
    ],
)

_TLP_STATIC = {
    "clear": v21.TLP_WHITE,
    "green": v21.TLP_GREEN,
    "amber": v21.TLP_AMBER,
    "red": v21.TLP_RED,
}


def tlp_marking(level: str) -> v21.MarkingDefinition:
    """The marking definition of a TLP level; TLP:AMBER+STRICT has no TLP 1.0 object, so it is a statement."""
    if level in _TLP_STATIC:
        return _TLP_STATIC[level]
    return v21.MarkingDefinition(
        id=stix_id("marking-definition", "tlp", level),
        created="2022-08-01T00:00:00.000Z",  # TLP 2.0's publication: the definition never changes
        name="TLP:AMBER+STRICT",
        definition_type="statement",
        definition={"statement": "TLP:AMBER+STRICT"},
    )


def as_uri(url: str) -> str:
    """An article URL as a URI (STIX requires one): non-ASCII host in IDNA, other characters percent-encoded."""
    parts = urlsplit(url.strip())
    try:
        host = parts.hostname.encode("idna").decode("ascii") if parts.hostname else ""
    except UnicodeError:
        host = quote(parts.hostname or "")
    netloc = host + (f":{parts.port}" if parts.port else "")
    safe = "/:@!$&'()*+,;=%~"
    return urlunsplit(
        (parts.scheme, netloc, quote(parts.path, safe=safe), quote(parts.query, safe=safe + "?"), quote(parts.fragment))
    )


def entity_key(entity: Entity) -> str:
    """The global key of an entity: its MISP uuid, else its MITRE id, else its folded name."""
    if entity.kb.get("misp"):
        return f"misp:{entity.kb['misp']}"
    if entity.kb.get("mitre"):
        return f"mitre:{entity.kb['mitre']}"
    return f"name:{key_part(entity.name)}"


def entity_external_references(entity: Entity) -> list[dict[str, str]]:
    refs = []
    mitre = entity.kb.get("mitre")
    if mitre:
        ref = {"source_name": "mitre-attack", "external_id": mitre}
        if _MITRE_ID.match(mitre):
            ref["url"] = f"https://attack.mitre.org/{_MITRE_URL[mitre[0]]}/{mitre}"
        refs.append(ref)
    if entity.kb.get("misp"):
        refs.append({"source_name": "misp-galaxy", "external_id": entity.kb["misp"]})
    return refs


def _published(record: Record) -> datetime | None:
    """The article's date as midnight UTC; ``None`` when the record has none (or an unreadable one)."""
    try:
        day = date.fromisoformat((record.published or "")[:10])
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class _Bundle:
    """Collects objects by id: the first object built for an id wins, so shared ones appear once."""

    def __init__(self, options: ExportOptions) -> None:
        self.options = options
        self.marking = tlp_marking(options.tlp)
        self.objects: dict[str, Any] = {}
        # global relationships by source: each report that holds the source holds them too
        self.outgoing: dict[str, list[tuple[str, str]]] = {}
        self.common = {
            "created": options.timestamp,
            "modified": options.timestamp,
            "created_by_ref": PRODUCER_ID,
            "object_marking_refs": [self.marking.id],
            "allow_custom": True,
        }
        self.add(v21.Identity(id=PRODUCER_ID, name="cyberops", identity_class="system", **self.common))

    def add(self, obj: Any) -> str:
        self.objects.setdefault(obj.id, obj)
        return obj.id

    def make(self, cls: type, object_id: str, **props: Any) -> str:
        if object_id not in self.objects:
            clean = {k: v for k, v in props.items() if v not in (None, [], "")}
            if any(k.startswith("x_cyberops_") for k in clean):
                # STIX 2.1's way to declare custom top-level properties: an extension definition
                clean["extensions"] = {EXTENSION_ID: {"extension_type": "toplevel-property-extension"}}
                self.objects.setdefault(EXTENSION_ID, EXTENSION)
            self.objects[object_id] = cls(id=object_id, **self.common, **clean)
        return object_id

    def relationship(self, source: str, kind: str, target: str, scope: str = "") -> str:
        # A global relationship (scope "") is shared by every report that implies it.
        ref = stix_id("relationship", scope, source, kind, target)
        if ref not in self.objects and not scope:
            self.outgoing.setdefault(source, []).append((ref, target))
        return self.make(v21.Relationship, ref, relationship_type=kind, source_ref=source, target_ref=target)

    # -- states --------------------------------------------------------------------------
    def location(self, code: str) -> str:
        place = {"region": "europe"} if code == "EU" else {"country": code}
        return self.make(v21.Location, stix_id("location", code), name=state_name(code), **place)

    def government(self, code: str) -> str:
        """A state that acts (accuses, denies, is accused) is its government, located in its country."""
        gov = self.make(
            v21.Identity,
            stix_id("identity", "government", code),
            name=f"Government of {state_name(code)}",
            identity_class="government",
            x_cyberops_state=code,
        )
        self.relationship(gov, "located-at", self.location(code))
        return gov

    # -- entities ------------------------------------------------------------------------
    def entity(self, entity: Entity) -> str:
        key = entity_key(entity)
        common = {
            "name": entity.name,
            "external_references": entity_external_references(entity),
            "x_cyberops_state": entity.state,
        }
        if entity.type == "threat_actor":
            ref = self.make(v21.IntrusionSet, stix_id("intrusion-set", key), aliases=list(entity.aliases), **common)
            if entity.state:
                self.relationship(ref, "originates-from", self.location(entity.state))
            return ref
        if entity.type == "malware":
            return self.make(
                v21.Malware, stix_id("malware", key), is_family=True, aliases=list(entity.aliases), **common
            )
        if entity.type == "operation":
            return self.make(v21.Campaign, stix_id("campaign", key), aliases=list(entity.aliases), **common)
        ref = self.make(
            v21.Identity,
            stix_id("identity", entity.type, key, entity.state or ""),
            identity_class="individual" if entity.type == "person" else "organization",
            x_cyberops_role=entity.role,
            **common,
        )
        if entity.state:
            self.relationship(ref, "located-at", self.location(entity.state))
        return ref

    def sector(self, sector: str) -> str:
        return self.make(
            v21.Identity,
            stix_id("identity", "sector", sector),
            name=f"{sector} sector",
            identity_class="class",
            sectors=[sector],
        )


class _Report:
    """The objects of one record, gathered into its report's object_refs."""

    def __init__(self, bundle: _Bundle, record: Record) -> None:
        self.bundle = bundle
        self.record = record
        self.refs: dict[str, None] = {}  # ordered set
        self.entity_refs: dict[str, str] = {}

    def keep(self, ref: str) -> str:
        self.refs[ref] = None
        return ref

    def scoped(self, stix_type: str, local_id: str) -> str:
        return stix_id(stix_type, "doc", self.record.id, local_id)

    def build(self) -> v21.Report:
        b, record = self.bundle, self.record
        for entity in record.entities:
            self.entity_refs[entity.id] = self.keep(b.entity(entity))
            if entity.state:
                self.keep(b.location(entity.state))
        incident_refs = {i.id: self.incident(i) for i in record.incidents}
        for claim in record.claims:
            self.claim(claim, incident_refs)
        # The shared relationships of the objects above (located-at, originates-from) and their
        # locations belong to the report too: a reader of one report sees where each party sits.
        for source in list(self.refs):
            for ref, target in b.outgoing.get(source, ()):
                self.refs.setdefault(ref, None)
                self.refs.setdefault(target, None)
        external = [{"source_name": "cyberops", "external_id": record.id}]
        if record.url:
            external.insert(0, {"source_name": record.outlet or "article", "url": as_uri(record.url)})
        ref = b.make(
            v21.Report,
            stix_id("report", record.id),
            name=record.title or record.url or record.id,
            published=_published(record) or b.options.timestamp,
            report_types=["threat-report"],
            object_refs=list(self.refs) or [PRODUCER_ID],
            external_references=external,
            lang=record.language,
            x_cyberops_document_id=record.id,
            x_cyberops_outlet=record.outlet,
            x_cyberops_analyzer=record.analyzer,
        )
        return b.objects[ref]

    def incident(self, incident: Incident) -> str:
        b, record = self.bundle, self.record
        types = ", ".join(t.replace("_", " ") for t in incident.types) or "cyber operation"
        victims = ", ".join(incident.victim_states)
        ref = self.keep(
            b.make(
                v21.Incident,
                self.scoped("incident", incident.id),
                name=f"{types}{' against ' + victims if victims else ''} ({record.title or record.id})",
                description=evidence_text(record, incident.evidence),
                x_cyberops_status=incident.status,
                x_cyberops_types=list(incident.types),
                x_cyberops_actors=list(incident.actors),
                x_cyberops_victim_sectors=list(incident.victim_sectors),
                x_cyberops_evidence=evidence_spans(incident.evidence),
            )
        )
        scope = f"doc:{record.id}"
        for code in incident.attributed_states:
            self.keep(b.relationship(ref, "attributed-to", self.keep(b.government(code)), scope))
        for name in incident.actors:
            actor = resolve_name(record, name, ("threat_actor", "malware", "operation"))
            if actor is None:
                continue  # kept as x_cyberops_actors text; no object is invented for an unmatched name
            kind = "attributed-to" if actor.type == "threat_actor" else "related-to"
            self.keep(b.relationship(ref, kind, self.entity_refs[actor.id], scope))
        for code in incident.victim_states:
            self.keep(b.relationship(ref, "targets", self.keep(b.location(code)), scope))
        for sector in incident.victim_sectors:
            self.keep(b.relationship(ref, "targets", self.keep(b.sector(sector)), scope))
        return ref

    def claim(self, claim: Claim, incident_refs: dict[str, str]) -> str:
        b, record = self.bundle, self.record
        speaker_ref = self.entity_refs.get(claim.speaker.entity or "")
        if speaker_ref is None and claim.speaker_state:
            speaker_ref = self.keep(b.government(claim.speaker_state))
        claimed: list[str] = []
        incident_ref = incident_refs.get(claim.incident or "")
        subject_ref = self.keep(b.government(claim.subject_state)) if claim.subject_state else None
        actor = resolve_name(record, claim.subject_actor, ("threat_actor", "malware", "operation"))
        actor_ref = self.entity_refs.get(actor.id) if actor else None
        if incident_ref:
            claimed.append(incident_ref)
            for target in (subject_ref, actor_ref):
                rel = target and stix_id("relationship", f"doc:{record.id}", incident_ref, "attributed-to", target)
                if rel and rel in b.objects:
                    claimed.append(rel)  # what a denial disagrees with: the attribution itself
        claimed += [r for r in (subject_ref, actor_ref) if r]
        if not claimed:
            # "certain countries", a call for talks with no partner: the claim is about its speaker
            claimed = [speaker_ref] if speaker_ref else [stix_id("report", record.id)]
        speaker = claim.speaker.name or (state_name(claim.speaker_state) if claim.speaker_state else None)
        props: dict[str, Any] = {
            "object_refs": list(dict.fromkeys(claimed)),
            "authors": [speaker] if speaker else None,
            "x_cyberops_kind": claim.kind,
            "x_cyberops_speaker": claim.speaker.name,
            "x_cyberops_speaker_role": claim.speaker.role,
            "x_cyberops_speaker_ref": speaker_ref,
            "x_cyberops_speaker_state": claim.speaker_state,
            "x_cyberops_subject_state": claim.subject_state,
            "x_cyberops_subject_actor": claim.subject_actor,
            "x_cyberops_measure": claim.measure,
            "x_cyberops_hedged": claim.hedged,
            "x_cyberops_cues": list(claim.cues),
            "x_cyberops_evidence": evidence_spans(claim.evidence),
        }
        sentence = evidence_text(record, claim.evidence)
        if claim.kind in _OPINION:
            stance = "agree" if claim.hedged and claim.kind == "attribution" else _OPINION[claim.kind]
            return self.keep(
                b.make(v21.Opinion, self.scoped("opinion", claim.id), opinion=stance, explanation=sentence, **props)
            )
        who = speaker or "an unnamed source"
        what = claim.kind.replace("_", " ") + (f" ({claim.measure})" if claim.measure else "")
        target = f" concerning {state_name(claim.subject_state)}" if claim.subject_state else ""
        return self.keep(
            b.make(
                v21.Note, self.scoped("note", claim.id), abstract=f"{what} by {who}{target}", content=sentence, **props
            )
        )


def to_stix_bundle(
    records: Iterable[Record], options: ExportOptions | None = None, dossier: Dossier | None = None
) -> stix2.Bundle:
    """One bundle for the records (or a dossier's records, grouped): a report per record."""
    options = options or ExportOptions()
    bundle = _Bundle(options)
    chosen = selected(dossier.records if dossier else records, options)
    reports = [_Report(bundle, record).build() for record in chosen]
    if dossier is not None:
        bundle.make(
            v21.Grouping,
            stix_id("grouping", "dossier", dossier.id),
            name=dossier.title,
            context="suspicious-activity",
            object_refs=[r.id for r in reports] or [PRODUCER_ID],
        )
    # The marking definition travels with the bundle so that importers know the TLP level.
    objects = [bundle.marking, *bundle.objects.values()]
    return stix2.Bundle(objects=objects, id=stix_id("bundle", *sorted(bundle.objects)), allow_custom=True)


def bundle_json(bundle: stix2.Bundle) -> str:
    """Serialized bundle with sorted keys, so equal bundles are equal bytes."""
    return json.dumps(json.loads(bundle.serialize()), indent=1, sort_keys=True, ensure_ascii=False) + "\n"

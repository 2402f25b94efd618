"""STIX 2.1 export: one test per rule of docs/export-mapping.md, and the validator on every bundle."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import stix2
from export_builders import APT28_MISP, make_record
from stix2validator import ValidationOptions, validate_string

from cyberops.export import Dossier, ExportOptions
from cyberops.export.stix import PRODUCER_ID, bundle_json, to_stix_bundle


def export(records, options, dossier=None) -> dict[str, dict]:
    bundle = json.loads(bundle_json(to_stix_bundle(records, options, dossier)))
    return {obj["id"]: obj for obj in bundle["objects"]}


def of_type(objects: dict[str, dict], stix_type: str) -> list[dict]:
    return [o for o in objects.values() if o["type"] == stix_type]


def named(objects: dict[str, dict], stix_type: str, name: str) -> dict:
    (found,) = [o for o in of_type(objects, stix_type) if o.get("name") == name]
    return found


def rels(objects: dict[str, dict], source: str, kind: str) -> list[dict]:
    return [
        objects[r["target_ref"]]
        for r in of_type(objects, "relationship")
        if r["source_ref"] == source and r["relationship_type"] == kind
    ]


@pytest.fixture
def objects(record, options) -> dict[str, dict]:
    return export([record], options)


def test_article_becomes_report_with_url_date_and_all_objects(objects, record):
    (report,) = of_type(objects, "report")
    assert report["name"] == record.title
    assert report["published"].startswith("2019-02-19T00:00:00")
    urls = [r["url"] for r in report["external_references"] if "url" in r]
    assert urls == ["https://news.example/article/cyber-visma-minist%C3%A8re"]  # an IRI made a URI
    assert {"source_name": "cyberops", "external_id": "ex-001"} in report["external_references"]
    in_report = set(report["object_refs"])
    expected = {o["id"] for o in objects.values() if o["type"] not in ("report", "marking-definition")}
    assert expected - {PRODUCER_ID} - {r for r in expected if r.startswith("extension-definition")} <= in_report


def test_threat_actor_becomes_intrusion_set_with_aliases_and_external_ids(objects):
    apt28 = named(objects, "intrusion-set", "APT28")
    assert apt28["aliases"] == ["Fancy Bear", "Sofacy"]
    refs = {r["source_name"]: r for r in apt28["external_references"]}
    assert refs["mitre-attack"] == {
        "source_name": "mitre-attack",
        "external_id": "G0007",
        "url": "https://attack.mitre.org/groups/G0007",
    }
    assert refs["misp-galaxy"]["external_id"] == APT28_MISP
    assert [loc["country"] for loc in rels(objects, apt28["id"], "originates-from")] == ["RU"]


def test_malware_becomes_malware_family(objects):
    wannacry = named(objects, "malware", "WannaCry")
    assert wannacry["is_family"] is True
    assert wannacry["aliases"] == ["WCry"]
    assert {r["external_id"] for r in wannacry["external_references"]} >= {"S0366"}


def test_operation_becomes_campaign(objects):
    assert named(objects, "campaign", "PRISM")["x_cyberops_state"] == "US"


def test_persons_and_organizations_become_identities_located_in_their_state(objects):
    hua = named(objects, "identity", "Hua Chunying")
    assert hua["identity_class"] == "individual"
    assert hua["x_cyberops_role"] == "foreign ministry spokesperson"
    visma = named(objects, "identity", "Visma")
    assert visma["identity_class"] == "organization"
    assert [loc["country"] for loc in rels(objects, visma["id"], "located-at")] == ["NO"]


def test_acting_states_become_government_identities_located_in_their_country(objects):
    governments = {
        o["x_cyberops_state"]: o for o in of_type(objects, "identity") if o["identity_class"] == "government"
    }
    # speakers (NO, CN, EU) and the accused (CN, RU)
    assert set(governments) == {"CN", "NO", "EU", "RU"}
    assert governments["CN"]["name"] == "Government of China"
    assert [loc["country"] for loc in rels(objects, governments["CN"]["id"], "located-at")] == ["CN"]
    assert [loc["region"] for loc in rels(objects, governments["EU"]["id"], "located-at")] == ["europe"]


def test_incident_attributed_to_states_and_actors_and_targets_victims(objects):
    incidents = {o["x_cyberops_types"][0] + o["x_cyberops_status"]: o for o in of_type(objects, "incident")}
    visma_hack = next(o for o in of_type(objects, "incident") if "NO" in o["name"])
    assert visma_hack["x_cyberops_status"] == "reported"
    assert "broke into the software firm Visma" in visma_hack["description"]
    assert [g["x_cyberops_state"] for g in rels(objects, visma_hack["id"], "attributed-to")] == ["CN"]
    targets = rels(objects, visma_hack["id"], "targets")
    assert {t["type"] for t in targets} == {"location", "identity"}
    assert [t["sectors"] for t in targets if t["type"] == "identity"] == [["technology"]]
    bundestag = next(o for o in of_type(objects, "incident") if "DE" in o["name"])
    attributed = {(t["type"], t.get("name")) for t in rels(objects, bundestag["id"], "attributed-to")}
    assert attributed == {("identity", "Government of Russia"), ("intrusion-set", "APT28")}
    wannacry = incidents["ransomwarereferenced"]
    assert [m["name"] for m in rels(objects, wannacry["id"], "related-to")] == ["WannaCry"]


def test_denial_is_an_opinion_disagreeing_with_the_attribution(objects):
    (denial,) = [o for o in of_type(objects, "opinion") if o["x_cyberops_kind"] == "denial"]
    assert denial["opinion"] == "strongly-disagree"
    assert denial["authors"] == ["Hua Chunying"]
    assert denial["x_cyberops_speaker_state"] == "CN"
    assert denial["x_cyberops_hedged"] is False
    assert "rejected the accusation" in denial["explanation"]
    assert denial["x_cyberops_evidence"][0]["end"] > denial["x_cyberops_evidence"][0]["start"]
    assert objects[denial["x_cyberops_speaker_ref"]]["name"] == "Hua Chunying"
    pointed = [objects[ref] for ref in denial["object_refs"]]
    assert {o["type"] for o in pointed} == {"incident", "relationship", "identity"}
    (relationship,) = [o for o in pointed if o["type"] == "relationship"]
    assert relationship["relationship_type"] == "attributed-to"
    assert objects[relationship["target_ref"]]["x_cyberops_state"] == "CN"


def test_hedged_attribution_is_an_opinion_that_merely_agrees(objects):
    (attribution,) = [o for o in of_type(objects, "opinion") if o["x_cyberops_kind"] == "attribution"]
    assert attribution["opinion"] == "agree"
    assert attribution["x_cyberops_hedged"] is True
    assert attribution["x_cyberops_cues"] == ["linked to"]


def test_other_claims_are_notes_about_what_they_concern(objects):
    notes = {o["x_cyberops_kind"]: o for o in of_type(objects, "note")}
    assert set(notes) == {"counter_accusation", "cooperation", "response"}
    sanction = notes["response"]
    assert sanction["x_cyberops_measure"] == "sanction"
    assert "imposed sanctions" in sanction["content"]
    assert {objects[r]["type"] for r in sanction["object_refs"]} >= {"incident", "intrusion-set"}
    # "certain countries" names no state: the note is about its speaker
    counter = notes["counter_accusation"]
    assert [objects[r]["name"] for r in counter["object_refs"]] == ["Hua Chunying"]


def test_unmatched_actor_names_invent_no_object(record, options):
    record.incidents[1].actors = ["Some Unknown Crew"]
    objects = export([record], options)
    incident = next(o for o in of_type(objects, "incident") if o["x_cyberops_status"] == "referenced")
    assert incident["x_cyberops_actors"] == ["Some Unknown Crew"]
    assert rels(objects, incident["id"], "related-to") == []


def test_reexport_keeps_ids_and_moves_modified_forward(record, options):
    first = export([record], options)
    later = ExportOptions(timestamp=datetime(2024, 6, 1, tzinfo=UTC))
    edited = replace(record, title="A corrected headline")
    second = export([edited], later)
    assert set(first) == set(second)
    report_id = next(i for i in first if i.startswith("report--"))
    assert second[report_id]["name"] == "A corrected headline"
    assert second[report_id]["modified"] > first[report_id]["modified"]
    assert bundle_json(to_stix_bundle([record], options)) == bundle_json(to_stix_bundle([make_record()], options))


def test_shared_entities_have_one_id_across_articles(options):
    objects = export([make_record("ex-001"), make_record("ex-002")], options)
    assert len(of_type(objects, "report")) == 2
    assert len([o for o in of_type(objects, "intrusion-set") if o["name"] == "APT28"]) == 1
    assert len(of_type(objects, "incident")) == 6


def test_every_object_carries_the_tlp_marking(record):
    objects = export([record], ExportOptions(tlp="amber"))
    (amber,) = [o for o in of_type(objects, "marking-definition") if o.get("definition_type") == "tlp"]
    assert amber["definition"] == {"tlp": "amber"}
    marked = [o for o in objects.values() if o["type"] not in ("marking-definition", "extension-definition")]
    assert all(o["object_marking_refs"] == [amber["id"]] for o in marked)


def test_custom_properties_are_declared_by_an_extension_definition(objects):
    (extension,) = of_type(objects, "extension-definition")
    used = {k for o in objects.values() for k in o if k.startswith("x_cyberops_")}
    assert used <= set(extension["extension_properties"])
    for obj in objects.values():
        if any(k.startswith("x_cyberops_") for k in obj):
            assert obj["extensions"] == {extension["id"]: {"extension_type": "toplevel-property-extension"}}


def test_dossier_becomes_a_grouping_of_its_reports(options):
    dossier = Dossier("visma", "Visma intrusion", [make_record("a"), make_record("b")])
    objects = export([], options, dossier)
    (grouping,) = of_type(objects, "grouping")
    assert grouping["name"] == "Visma intrusion"
    assert sorted(grouping["object_refs"]) == sorted(o["id"] for o in of_type(objects, "report"))


def test_irrelevant_records_are_left_out_unless_asked(record, options):
    record.relevant = False
    assert of_type(export([record], options), "report") == []
    included = replace(options, include_irrelevant=True)
    assert len(of_type(export([record], included), "report")) == 1


@pytest.mark.parametrize("tlp", ["clear", "green", "amber", "amber+strict", "red"])
def test_bundle_validates_with_zero_errors_and_resolves_every_ref(record, tlp):
    text = bundle_json(to_stix_bundle([record, make_record("ex-002")], ExportOptions(tlp=tlp)))
    result = validate_string(text, ValidationOptions(version="2.1", silent=True))
    assert result.is_valid, [str(e) for e in result.errors]
    parsed = stix2.parse(text, allow_custom=True)
    ids = {o.id for o in parsed.objects}
    for obj in parsed.objects:
        refs = [v for k, v in obj.items() if k.endswith("_ref")] + [
            r for k, v in obj.items() if k.endswith("_refs") for r in v
        ]
        assert set(refs) <= ids, obj.id

"""MISP export: events built offline, loaded back with pymisp.MISPEvent and checked."""

from __future__ import annotations

import json

import pytest
from export_builders import APT28_MISP, WANNACRY_MISP, make_record
from pymisp import MISPEvent

from cyberops.export import Dossier, ExportOptions
from cyberops.export.misp import dossier_to_misp, event_json, feed_files, load_galaxy_index, record_to_misp


@pytest.fixture(scope="module")
def galaxies():
    return load_galaxy_index()


def reloaded(event) -> MISPEvent:
    loaded = MISPEvent()
    loaded.load(event_json(event))
    return loaded


def test_event_per_document_with_stable_uuid_title_and_date(record, options, galaxies):
    event = reloaded(record_to_misp(record, galaxies, options))
    assert event.info == record.title
    assert str(event.date) == "2019-02-19"
    assert event.uuid == record_to_misp(make_record(), galaxies, options).uuid
    assert event.uuid != record_to_misp(make_record("other"), galaxies, options).uuid


def test_galaxy_clusters_attached_as_tags_by_their_real_uuids(record, options, galaxies):
    event = reloaded(record_to_misp(record, galaxies, options))
    tags = {t.name for t in event.tags}
    assert 'misp-galaxy:threat-actor="APT28"' in tags
    assert 'misp-galaxy:ransomware="WannaCry"' in tags
    clusters = {c.uuid: c for g in event.galaxies for c in g.clusters}
    assert clusters[APT28_MISP].tag_name == 'misp-galaxy:threat-actor="APT28"'
    assert clusters[WANNACRY_MISP].value == "WannaCry"


def test_states_tagged_with_the_country_galaxy(record, options, galaxies):
    tags = {t.name for t in reloaded(record_to_misp(record, galaxies, options)).tags}
    assert {'misp-galaxy:country="china"', 'misp-galaxy:country="norway"', 'misp-galaxy:country="russia"'} <= tags


def test_url_and_evidence_become_attributes(record, options, galaxies):
    event = reloaded(record_to_misp(record, galaxies, options))
    by_type = {}
    for attribute in event.attributes:
        by_type.setdefault(attribute.type, []).append(attribute)
    assert [a.value for a in by_type["link"]] == [record.url]
    denial = next(a for a in by_type["text"] if "denial" in a.comment)
    assert "rejected the accusation" in denial.value
    assert {t.name for t in denial.tags} == {'cyberops:claim-kind="denial"', 'cyberops:hedged="false"'}
    assert "by Hua Chunying (CN) concerning CN" in denial.comment
    assert all(a.to_ids is False for a in event.attributes)


def test_threat_actor_without_galaxy_cluster_becomes_threat_actor_attribute(record, options, galaxies):
    event = reloaded(record_to_misp(record, galaxies, options))
    assert [a.value for a in event.attributes if a.type == "threat-actor"] == ["Equation Group"]


@pytest.mark.parametrize(("tlp", "tag"), [("clear", "tlp:clear"), ("TLP:AMBER", "tlp:amber"), ("white", "tlp:clear")])
def test_tlp_tag_default_clear_and_configurable(record, galaxies, tlp, tag):
    event = reloaded(record_to_misp(record, galaxies, ExportOptions(tlp=tlp)))
    assert [t.name for t in event.tags if t.name.startswith("tlp:")] == [tag]


def test_dossier_is_one_event_over_all_its_records(options, galaxies):
    dossier = Dossier("visma", "Visma intrusion", [make_record("a"), make_record("b")])
    event = reloaded(dossier_to_misp(dossier, galaxies, options))
    assert event.info == "Visma intrusion"
    assert len([a for a in event.attributes if a.type == "link"]) == 2
    assert len({t.name for t in event.tags}) == len(event.tags)  # each galaxy tag once


def test_feed_folder_has_one_file_per_event_and_a_manifest(options, galaxies):
    events = [record_to_misp(make_record(i), galaxies, options) for i in ("a", "b")]
    files = feed_files(events)
    manifest = json.loads(files.pop("manifest.json"))
    assert set(manifest) == {e.uuid for e in events}
    assert set(files) == {f"{e.uuid}.json" for e in events}
    feed_event = MISPEvent()
    feed_event.load(files[f"{events[0].uuid}.json"])
    assert 'misp-galaxy:threat-actor="APT28"' in {t.name for t in feed_event.tags}

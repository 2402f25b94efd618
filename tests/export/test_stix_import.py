"""STIX import into the KB overlay: validation first, matching by id/name/alias, idempotence."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import stix2
from typer.testing import CliRunner

from cyberops.cli.main import app
from cyberops.export.stix_import import BundleError, import_stix_file, plan_import, validate_bundle
from cyberops.kb import load_kb
from cyberops.kb.model import KBEntry
from cyberops.kb.overlay import read_overlay

APT28 = KBEntry("actor:apt28", "APT28", "threat_actor", "RU", ("Fancy Bear", "Sofacy"), {"mitre": "G0007"})
WANNACRY = KBEntry(
    "malware:wannacry", "WannaCry", "malware", None, ("WCry",), {"misp": "d62ab8d5-4ba1-4c45-8a63-13fdb099b33c"}
)


def bundle(*objects) -> dict:
    return json.loads(stix2.Bundle(*objects, allow_custom=True).serialize())


def quokka(**extra):
    return stix2.v21.IntrusionSet(name="Quokka Typhoon", aliases=["Quokka Typhoon", "QKT-Storm"], **extra)


def apt28_from_vendor():
    return stix2.v21.IntrusionSet(
        name="Strontium Test Alias",
        aliases=["Sofacy"],
        external_references=[{"source_name": "mitre-attack", "external_id": "G0007"}],
    )


def plan(data, overlay=()):
    return plan_import(data, [APT28, WANNACRY], list(overlay), str.casefold)


def test_new_intrusion_set_becomes_an_overlay_entry():
    result = plan(bundle(quokka()))
    assert result.added == ["Quokka Typhoon"]
    (entry,) = result.overlay
    assert (entry.name, entry.type, entry.aliases) == ("Quokka Typhoon", "threat_actor", ["QKT-Storm"])


def test_known_group_matched_by_external_id_gains_only_missing_aliases():
    result = plan(bundle(apt28_from_vendor()))
    assert result.added == []
    assert result.extended == {"APT28": ["Strontium Test Alias"]}
    (entry,) = result.overlay
    assert (entry.name, entry.mitre, entry.aliases) == ("APT28", "G0007", ["Strontium Test Alias"])


def test_known_malware_matched_by_alias_is_unchanged():
    result = plan(bundle(stix2.v21.Malware(name="wcry", is_family=True)))
    assert not result.changed and result.unchanged == 1


def test_importing_twice_adds_nothing():
    data = bundle(quokka(), apt28_from_vendor(), stix2.v21.Tool(name="Quokka Loader"))
    first = plan(data)
    second = plan(data, first.overlay)
    assert not second.changed
    assert second.overlay == first.overlay


def test_revoked_and_unrelated_objects_are_ignored():
    revoked = stix2.v21.IntrusionSet(name="Gone Group", revoked=True)
    identity = stix2.v21.Identity(name="Some Org", identity_class="organization")
    assert plan(bundle(revoked, identity)).overlay == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON"),
        ('{"type": "report"}', "not a STIX bundle"),
        (
            json.dumps({"type": "bundle", "id": "bundle--1", "objects": [{"type": "intrusion-set", "id": "x"}]}),
            "not a valid STIX 2.1 bundle",
        ),
    ],
)
def test_malformed_bundle_is_rejected_and_nothing_stored(tmp_path, settings, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text, "utf-8")
    overlay = tmp_path / "overlay.json"
    with pytest.raises(BundleError, match=message):
        import_stix_file(path, replace(settings, kb_overlay=overlay))
    assert not overlay.exists()


def test_validator_names_the_broken_object():
    data = bundle(quokka())
    del data["objects"][0]["name"]
    with pytest.raises(BundleError, match="name"):
        validate_bundle(json.dumps(data))


def test_imported_group_is_found_by_the_kb_scan_and_reimport_changes_nothing(tmp_path, settings):
    path = tmp_path / "vendor.json"
    path.write_text(json.dumps(bundle(quokka(), apt28_from_vendor())), "utf-8")
    local = replace(settings, kb_overlay=tmp_path / "data" / "kb-overlay.json")
    result = import_stix_file(path, local)
    assert result.added == ["Quokka Typhoon"]
    kb = load_kb(local)
    text = "Researchers blamed QKT-Storm hackers, also tracked as Strontium Test Alias, for the intrusion."
    found = {kb.entry(m.entry_id).name for m in kb.scan(text) if m.kind == "entity"}
    assert found == {"Quokka Typhoon", "APT28"}
    before = local.kb_overlay.read_bytes()
    again = import_stix_file(path, local)
    assert not again.changed
    assert local.kb_overlay.read_bytes() == before
    assert len(read_overlay(local.kb_overlay)) == 2


def test_import_command_reports_a_malformed_bundle(tmp_path, monkeypatch):
    monkeypatch.setenv("CYBEROPS_KB_OVERLAY", str(tmp_path / "overlay.json"))
    path = tmp_path / "bad.json"
    path.write_text('{"type": "bundle", "objects": 3}', "utf-8")
    result = CliRunner().invoke(app, ["import", "stix", str(path)])
    assert result.exit_code == 1
    assert "not a STIX bundle" in result.output
    assert not (tmp_path / "overlay.json").exists()

"""Dossiers: which records make one operation, which stay apart, and how updates keep ids."""

from __future__ import annotations

import json

import pytest
from correlate_builders import article

from cyberops.correlate import Dossier, build_dossiers, dossier_keys, record_keys, update_dossiers

HERON = {"name": "Velvet Heron", "type": "threat_actor", "state": "RU", "aliases": ["APT-99", "Heron Team"],
         "kb": {"mitre": "G9999"}}


def heron_report():
    text = ("Velvet Heron broke into the parliament of Germany. "
            "The German government said Russian military intelligence was behind the intrusion. "
            "Moscow rejected the accusation as groundless.")
    return article(
        "a-report", text, published="2024-03-01", entities=[HERON],
        incidents=[{"types": ["espionage"], "victims": ["DE"], "attributed": ["RU"], "actors": ["Velvet Heron"],
                    "evidence": "Velvet Heron broke into the parliament of Germany."}],
        claims=[
            {"kind": "attribution", "speaker": "German government", "speaker_state": "DE", "subject_state": "RU",
             "incident": "i1", "evidence": "The German government said Russian military intelligence was behind"},
            {"kind": "denial", "speaker": "Moscow", "speaker_state": "RU", "subject_state": "RU",
             "incident": "i1", "evidence": "Moscow rejected the accusation as groundless."},
        ],
    )


def heron_sanctions():
    # Another language, weeks later, the group under one of its aliases.
    text = ("La UE sanciona a Heron Team por el ataque al Bundestag alemán. "
            "El Consejo impuso sanciones a dos oficiales rusos.")
    return article(
        "b-sanctions", text, published="2024-04-20", language="es",
        entities=[{**HERON, "name": "Heron Team"}],
        incidents=[{"types": ["espionage"], "victims": ["DE"], "attributed": ["RU"], "actors": ["Heron Team"],
                    "evidence": "La UE sanciona a Heron Team por el ataque al Bundestag alemán."}],
        claims=[{"kind": "response", "speaker": "Consejo de la UE", "speaker_state": "EU", "subject_state": "RU",
                 "measure": "sanction", "evidence": "El Consejo impuso sanciones a dos oficiales rusos."}],
    )


def heron_elsewhere():
    text = "Velvet Heron targeted ministries in France, the French agency ANSSI said."
    return article(
        "c-france", text, published="2024-03-10", entities=[HERON],
        incidents=[{"types": ["espionage"], "victims": ["FR"], "attributed": ["RU"], "actors": ["Velvet Heron"],
                    "evidence": text}],
    )


def test_one_operation_across_languages_and_weeks_is_one_dossier():
    [dossier] = build_dossiers([heron_sanctions(), heron_report()])
    assert dossier.documents == ["a-report", "b-sanctions"]
    assert [e.kind for e in dossier.timeline] == ["report", "attribution", "denial", "report", "response"]
    assert [e.date for e in dossier.timeline] == ["2024-03-01"] * 3 + ["2024-04-20"] * 2
    denial = dossier.timeline[2]
    assert (denial.speaker, denial.speaker_state, denial.subject_state) == ("Moscow", "RU", "RU")
    assert denial.evidence == "Moscow rejected the accusation as groundless."
    assert denial.url == "https://news.example/a-report" and denial.outlet == "Example Wire"
    assert dossier.timeline[-1].language == "es" and dossier.timeline[-1].measure == "sanction"
    assert dossier.victim_states == ["DE"] and dossier.attributed_states == ["RU"]
    assert dossier.accuser_states == ["DE"] and dossier.denier_states == ["RU"]
    assert dossier.responder_states == ["EU"]
    assert dossier.actors == ["Velvet Heron"]
    assert "Velvet Heron" in dossier.title and "DE" in dossier.title
    assert (dossier.first_date, dossier.last_date) == ("2024-03-01", "2024-04-20")


def test_same_group_against_another_state_is_another_dossier():
    dossiers = build_dossiers([heron_report(), heron_elsewhere()])
    assert sorted(d.documents for d in dossiers) == [["a-report"], ["c-france"]]


@pytest.mark.parametrize("name", ["Heron Team", "velvet heron", "APT-99", "mitre:G9999"])
def test_a_dossier_is_found_by_any_alias_or_kb_id(name):
    [dossier] = build_dossiers([heron_report()])
    assert dossier.matches_actor(name)
    assert not dossier.matches_actor("Copper Wasp")


def states_only(doc_id, published, types=("ransomware",), victims=("NL",), attributed=("KP",)):
    text = f"Hackers hit a port operator in the region on report {doc_id}. Officials blamed a foreign state."
    return article(doc_id, text, published=published, incidents=[
        {"types": list(types), "victims": list(victims), "attributed": list(attributed),
         "evidence": text.split(". ")[0] + "."}])


@pytest.mark.parametrize(
    ("second", "together"),
    [
        pytest.param(states_only("x2", "2023-05-12"), True, id="same-states-and-type-days-apart"),
        pytest.param(states_only("x2", "2023-11-20"), False, id="same-states-months-apart"),
        pytest.param(states_only("x2", "2023-05-12", types=["ddos"]), False, id="other-incident-type"),
        pytest.param(states_only("x2", "2023-05-12", victims=["BE"]), False, id="other-victim"),
        pytest.param(states_only("x2", "2023-05-12", victims=[]), False, id="attributed-state-alone"),
        pytest.param(states_only("x2", None, types=["sabotage"]), False, id="undated-other-type"),
        pytest.param(states_only("x2", None, attributed=["KP", "RU"]), False, id="undated-other-attackers"),
    ],
)
def test_linking_by_states_needs_victim_attacker_type_and_time(second, together):
    dossiers = build_dossiers([states_only("x1", "2023-05-02"), second])
    assert (len(dossiers) == 1) is together


def test_undated_report_with_the_same_facts_joins_only_the_one_dossier_that_fits():
    # A missing date is unknown: no time veto, but no time to tell two fitting dossiers apart either.
    first, second = states_only("u1", "2023-05-02"), states_only("u2", "2023-11-20")
    undated = states_only("u3", None)
    [joined] = build_dossiers([first, undated])
    assert joined.documents == ["u1", "u3"]
    dossiers = build_dossiers([first, second, undated])
    assert sorted(d.documents for d in dossiers) == [["u1"], ["u2"], ["u3"]]


def test_undated_reports_sharing_an_actor_also_need_victim_and_type():
    def bear(doc_id, types, published=None):
        text = f"Fancy Bear phished staff of a think tank in Washington, said report {doc_id} today."
        return article(doc_id, text, published=published,
                       entities=[{"name": "Fancy Bear", "type": "threat_actor", "state": "RU"}],
                       incidents=[{"types": types, "victims": ["US"], "attributed": ["RU"], "actors": ["Fancy Bear"],
                                   "evidence": text}])

    assert len(build_dossiers([bear("b1", ["espionage"], "2016-06-14"), bear("b2", [])])) == 2
    assert len(build_dossiers([bear("b1", ["espionage"], "2016-06-14"), bear("b2", ["espionage"])])) == 1


def test_an_incident_blamed_on_two_states_does_not_bridge_their_operations():
    def report(doc_id, attributed, malware, published=None):
        text = f"The {' and '.join(malware)} outbreak crippled firms, officials said in report {doc_id}."
        return article(doc_id, text, published=published,
                       entities=[{"name": m, "type": "malware"} for m in malware],
                       incidents=[{"types": ["ransomware"], "attributed": attributed, "evidence": text}])

    dossiers = build_dossiers([
        report("n1", ["RU"], ["NotPetya"], "2018-02-15"),
        report("n2", ["KP", "RU"], ["NotPetya", "WannaCry"]),
        report("n3", ["KP"], ["WannaCry"]),
    ])
    assert sorted(d.documents for d in dossiers) == [["n1", "n2"], ["n3"]]


def test_same_evidence_words_link_with_agreeing_states_without_a_name_or_date():
    text = ("Ransomware locked the hospital network of the city of Tartu overnight and forced "
            "doctors to divert ambulances, officials said.")

    def copy(doc_id, published, victims=("EE",), types=("ransomware",)):
        return article(doc_id, text + f" Report {doc_id}.", published=published, incidents=[
            {"types": list(types), "victims": list(victims), "evidence": text}])

    assert len(build_dossiers([copy("t1", "2023-05-02"), copy("t2", None)])) == 1
    assert len(build_dossiers([copy("t1", "2023-05-02"), copy("t2", None, victims=["LV"])])) == 2
    assert len(build_dossiers([copy("t1", "2023-05-02"), copy("t2", None, types=["ddos"])])) == 2


def wiper_article(doc_id, victim, published, background_ransomware=True):
    text = (f"A wiper destroyed servers at a utility in {victim}. "
            "Officials recalled that Glassworm ransomware had struck hospitals years ago.")
    return article(
        doc_id, text, published=published,
        entities=[{"name": "Glassworm", "type": "malware"}],
        incidents=[
            {"types": ["sabotage"], "victims": [victim], "evidence": text.split(". ")[0] + "."},
            {"status": "referenced", "types": ["ransomware"], "actors": ["Glassworm"],
             "evidence": "Officials recalled that Glassworm ransomware had struck hospitals years ago."},
        ],
    )


def test_malware_named_only_as_background_does_not_merge_dossiers():
    dossiers = build_dossiers([wiper_article("w1", "PL", "2022-01-01"), wiper_article("w2", "CZ", "2022-01-03")])
    assert len(dossiers) == 2
    assert all(d.actors == [] for d in dossiers)


def test_actor_of_another_state_cited_by_the_accused_is_not_a_link():
    # Two unrelated Chinese-attributed stories in which a spokesman cites a US-linked group in return.
    def story(doc_id, victim):
        text = (f"Reports said Chinese hackers breached a firm in {victim}. "
                "The spokesman said the Quiet Lattice group of the United States is the real threat.")
        return article(doc_id, text, published="2021-06-01",
                       entities=[{"name": "Quiet Lattice", "type": "threat_actor", "state": "US"}],
                       incidents=[{"types": ["espionage"], "victims": [victim], "attributed": ["CN"],
                                   "actors": ["Quiet Lattice"], "evidence": text.split(". ")[0] + "."}])

    assert len(build_dossiers([story("q1", "NO"), story("q2", "AU")])) == 2


def test_named_operation_links_whatever_the_other_fields():
    def op(doc_id, victims, published):
        text = f"Operation Tin Lantern hit managed service providers in {' and '.join(victims)}."
        return article(doc_id, text, published=published,
                       entities=[{"name": "Operation Tin Lantern", "type": "operation", "state": "CN"}],
                       incidents=[{"types": ["espionage"], "victims": victims, "attributed": ["CN"],
                                   "actors": ["Operation Tin Lantern"], "evidence": text}])

    [dossier] = build_dossiers([op("o1", ["GB"], "2017-04-03"), op("o2", ["JP", "US"], "2018-12-20")])
    assert dossier.documents == ["o1", "o2"]


def test_ids_are_deterministic_and_independent_of_input_order():
    records = [heron_report(), heron_sanctions(), heron_elsewhere(), states_only("x1", "2023-05-02")]
    first = build_dossiers(records)
    second = build_dossiers(list(reversed(records)))
    assert [d.to_dict() for d in first] == [d.to_dict() for d in second]
    assert len({d.id for d in first}) == 3


def test_incremental_update_joins_an_existing_dossier_and_keeps_its_id():
    [existing] = build_dossiers([heron_report()])
    update = update_dossiers([existing], [heron_sanctions()])
    [dossier] = update.dossiers
    assert dossier.id == existing.id
    assert dossier.documents == ["a-report", "b-sanctions"]
    assert update.changed == [existing.id] and update.removed == []
    assert existing.documents == ["a-report"], "the dossiers passed in are not modified"


def test_a_record_bridging_two_dossiers_merges_them_under_the_older_id():
    def piece(doc_id, published, text, entities, actors):
        return article(doc_id, text, published=published, entities=entities,
                       incidents=[{"types": ["ransomware"], "victims": ["IE"], "attributed": ["RU"],
                                   "actors": actors, "evidence": text}])

    wasp = {"name": "Copper Wasp", "type": "threat_actor", "state": "RU"}
    locker = {"name": "Lockjaw", "type": "malware", "state": "RU"}
    old = piece("p1", "2021-05-14", "Copper Wasp crippled the health service of Ireland.", [wasp], ["Copper Wasp"])
    young = piece("p2", "2021-05-20", "Lockjaw ransomware encrypted hospital systems in Ireland.", [locker], ["Lockjaw"])
    first = update_dossiers([], [old]).dossiers
    both = update_dossiers(first, [young]).dossiers
    assert len(both) == 2
    bridge = piece("p3", "2021-06-01", "Copper Wasp used Lockjaw against Ireland's health service.",
                   [wasp, locker], ["Copper Wasp", "Lockjaw"])
    update = update_dossiers(both, [bridge])
    [merged] = update.dossiers
    assert merged.id == first[0].id
    young_id = next(d.id for d in both if d.id != first[0].id)
    assert update.removed == [young_id] and update.merged == {young_id: merged.id}
    assert merged.documents == ["p1", "p2", "p3"]


def test_reanalysed_record_replaces_its_old_entries_in_place():
    [dossier] = build_dossiers([heron_report(), heron_sanctions()])
    newer = heron_report()
    newer.claims = newer.claims[:1]  # the new analyzer no longer finds the denial
    update = update_dossiers([dossier], [newer])
    [after] = update.dossiers
    assert after.id == dossier.id
    assert after.documents == ["a-report", "b-sanctions"]
    assert [e.kind for e in after.timeline] == ["report", "attribution", "report", "response"]
    assert after.denier_states == []


def test_denial_without_an_incident_still_gets_a_dossier():
    text = "Pyongyang denied any role in the theft, calling the claims a smear."
    record = article("d1", text, published="2019-02-02", claims=[
        {"kind": "denial", "speaker": "Pyongyang", "speaker_state": "KP", "subject_state": "KP", "evidence": text}])
    [dossier] = build_dossiers([record])
    assert dossier.attributed_states == ["KP"] and [e.kind for e in dossier.timeline] == ["denial"]


def test_irrelevant_or_empty_records_make_no_dossier():
    assert build_dossiers([article("n1", "The match ended with a late attack by the home side.")]) == []


def test_near_duplicate_copies_share_a_dossier_even_without_a_link():
    a = states_only("s1", "2020-01-01", victims=["FI"])
    b = states_only("s2", None, victims=[])
    assert len(build_dossiers([a, b])) == 2
    assert len(build_dossiers([a, b], same_story={"s1": "s1", "s2": "s1"})) == 1


def test_undated_record_is_dated_by_first_seen():
    record = states_only("f1", None)
    [dossier] = build_dossiers([record], first_seen={"f1": "2023-05-03"})
    assert dossier.first_date == "2023-05-03"
    assert dossier.timeline[0].date == "2023-05-03"
    [joined] = build_dossiers([record, states_only("f2", "2023-05-10")], first_seen={"f1": "2023-05-03"})
    assert joined.documents == ["f1", "f2"]


def test_dossier_round_trips_through_json():
    [dossier] = build_dossiers([heron_report(), heron_sanctions()])
    again = Dossier.from_dict(json.loads(json.dumps(dossier.to_dict())))
    assert again == dossier
    # An update from the stored form behaves as from the original.
    assert update_dossiers([again], [heron_elsewhere()]).dossiers[0].id == dossier.id


def test_lookup_keys_let_a_store_preselect_candidates():
    [dossier] = build_dossiers([heron_report()])
    assert record_keys(heron_sanctions()) & dossier_keys(dossier)
    assert not record_keys(states_only("x1", "2023-05-02")) & dossier_keys(dossier)

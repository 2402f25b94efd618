"""State sets, entities, incident types, relevance and dates, per RECORD.md."""

from __future__ import annotations

import pytest
from eval_builders import claim, gold_line, prediction

from cyberops.eval import scores_from_records
from cyberops.eval.metrics import Counts, align_actors, align_persons, held_responsible_states


def test_attribution_uses_reported_incidents_but_not_referenced_ones():
    record = {
        "claims": [claim("attribution", "US", "KP"), claim("attribution", None, None)],
        "incidents": [
            {"status": "reported", "attributed_states": ["CN"]},
            {"status": "referenced", "attributed_states": ["RU"]},
        ],
    }
    assert held_responsible_states(record) == {"KP", "CN"}


def test_attribution_is_a_set_per_document(make_gold):
    golds = make_gold(
        gold_line(
            claims=[claim("attribution", "US", "RU"), claim("attribution", "GB", "RU")],
            incidents=[{"status": "reported", "types": [], "attributed_states": ["RU"]}],
        )
    )
    predicted = prediction(claims=[claim("attribution", None, "RU"), claim("attribution", None, "CN")])
    attribution = scores_from_records(golds, [predicted]).overall["attribution"]
    assert (attribution.tp, attribution.fp, attribution.fn) == (1, 1, 0)


def test_denial_is_the_set_of_denying_states(make_gold):
    golds = make_gold(gold_line(claims=[claim("denial", "RU", "RU"), claim("denial", "CN", "CN")]))
    predicted = prediction(claims=[claim("denial", "RU", "RU"), claim("denial", "RU", None)])
    denial = scores_from_records(golds, [predicted]).overall["denial"]
    assert (denial.tp, denial.fp, denial.fn) == (1, 0, 1)


@pytest.mark.parametrize(
    ("predicted_name", "gold_name", "gold_aliases"),
    [
        ("apt28", "Fancy Bear", ["APT28", "Sofacy"]),
        ("FANCY  BEAR", "Fancy Bear", []),
        ("Opération Aurora", "Operation Aurora", []),
        ("NoName057(16)", "NoName057(16)", []),
        ("Kimsuky’s group", "Kimsuky's group", []),
    ],
)
def test_actor_names_match_ignoring_case_accents_spacing_and_quotes(predicted_name, gold_name, gold_aliases):
    predicted = [{"name": predicted_name, "type": "threat_actor", "aliases": []}]
    gold = [{"name": gold_name, "type": "operation", "aliases": gold_aliases}]
    assert align_actors(predicted, gold).counts == Counts(tp=1)


def test_actors_are_matched_one_to_one_and_ignore_other_types():
    predicted = [
        {"name": "APT28", "type": "threat_actor"},
        {"name": "Fancy Bear", "type": "threat_actor"},
        {"name": "Microsoft", "type": "organization"},
    ]
    gold = [
        {"name": "Fancy Bear", "type": "threat_actor", "aliases": ["APT28"]},
        {"name": "Microsoft", "type": "organization"},
    ]
    assert align_actors(predicted, gold).counts == Counts(tp=1, fp=1)


@pytest.mark.parametrize(
    ("predicted_name", "gold_name", "gold_aliases", "matches"),
    [
        ("Peskov", "Dmitry Peskov", [], True),
        ("dmitri PESKOV", "Dmitry Peskov", [], True),
        ("Dmitry", "Dmitry Peskov", [], False),
        ("Hua Chunying", "华春莹", ["Hua Chunying"], True),
        ("Jose Lopez", "José López", [], True),
    ],
)
def test_person_matches_when_the_gold_last_token_is_among_its_tokens(predicted_name, gold_name, gold_aliases, matches):
    predicted = [{"name": predicted_name, "type": "person", "aliases": []}]
    gold = [{"name": gold_name, "type": "person", "aliases": gold_aliases}]
    assert (align_persons(predicted, gold).counts.tp == 1) is matches


def test_types_restriction_applies_to_both_sides(make_gold):
    golds = make_gold(
        gold_line(incidents=[{"status": "reported", "types": ["data_breach", "phishing"]}]),
    )
    predicted = prediction(incidents=[{"types": ["data_breach", "espionage"]}])
    unrestricted = scores_from_records(golds, [predicted]).overall["incident_types"]
    restricted = scores_from_records(
        golds, [predicted], types={"data_breach", "phishing", "ransomware", "vulnerability"}
    ).overall["incident_types"]
    assert (unrestricted.tp, unrestricted.fp, unrestricted.fn) == (1, 1, 1)
    assert (restricted.tp, restricted.fp, restricted.fn) == (1, 0, 1)


def test_incident_types_and_victims_ignore_referenced_incidents(make_gold):
    golds = make_gold(gold_line(incidents=[{"status": "reported", "types": ["ddos"], "victim_states": ["EE"]}]))
    predicted = prediction(
        incidents=[
            {"types": ["ddos"], "victim_states": ["EE"]},
            {"status": "referenced", "types": ["ransomware"], "victim_states": ["GB"]},
        ]
    )
    overall = scores_from_records(golds, [predicted]).overall
    assert overall["incident_types"] == Counts(tp=1)
    assert overall["victim_states"] == Counts(tp=1)


def test_relevance_counts_true_as_the_positive_class(make_gold):
    golds = make_gold(
        gold_line(id="a", relevant=True), gold_line(id="b", relevant=False), gold_line(id="c", relevant=True)
    )
    predictions = [prediction(id="a"), prediction(id="b"), prediction(id="c", relevant=False)]
    assert scores_from_records(golds, predictions).overall["relevance"] == Counts(tp=1, fp=1, fn=1)


def test_published_accuracy_ignores_documents_whose_gold_date_is_null(make_gold):
    golds = make_gold(
        gold_line(id="a", published="2019-02-19"),
        gold_line(id="b", published="2020-07-16"),
        gold_line(id="c", published="2021-01-01"),
        gold_line(id="d", published=None),
        gold_line(id="e", published=None),
    )
    predictions = [
        prediction(id="a", published="2019-02-19T08:00:00+01:00"),
        prediction(id="b", published="2020-07-15"),
        prediction(id="c", published=None),
        prediction(id="d", published="2024-03-19"),
        prediction(id="e", published=None),
    ]
    published = scores_from_records(golds, predictions).overall["published"]
    assert published.accuracy == pytest.approx(1 / 3)
    assert (published.correct, published.wrong, published.missing, published.spurious) == (1, 1, 1, 1)


def test_zero_denominators_give_none_not_an_error(make_gold):
    golds = make_gold(gold_line(relevant=False))
    overall = scores_from_records(golds, [prediction(relevant=False)]).overall
    assert (overall["claims"].precision, overall["claims"].recall, overall["claims"].f1) == (None, None, None)
    assert overall["published"].accuracy is None

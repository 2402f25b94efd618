"""Claims: RECORD.md matching rules, one-to-one and maximal."""

from __future__ import annotations

import itertools

import pytest
from eval_builders import claim, gold_line, prediction

from cyberops.eval import scores_from_records
from cyberops.eval.metrics import align_claims


def test_null_gold_speaker_state_accepts_any_predicted_state():
    alignment = align_claims([claim("attribution", "US", "RU")], [claim("attribution", None, "RU")])
    assert alignment.counts.tp == 1


def test_null_gold_subject_state_accepts_any_predicted_state():
    alignment = align_claims([claim("counter_accusation", "CN", "US")], [claim("counter_accusation", "CN", None)])
    assert alignment.counts.tp == 1


def test_null_prediction_does_not_match_a_stated_gold_state():
    alignment = align_claims([claim("attribution", None, "RU")], [claim("attribution", "US", "RU")])
    assert (alignment.counts.tp, alignment.counts.fp, alignment.counts.fn) == (0, 1, 1)


def test_same_kind_required():
    alignment = align_claims([claim("attribution", "CN", "CN")], [claim("denial", "CN", "CN")])
    assert alignment.counts.tp == 0
    assert alignment.spurious[0]["kind"] == "attribution"
    assert alignment.missed[0]["kind"] == "denial"


def test_one_gold_claim_matches_only_once():
    predicted = [claim("denial", "RU", "RU"), claim("denial", "RU", "RU")]
    alignment = align_claims(predicted, [claim("denial", "RU", "RU")])
    assert (alignment.counts.tp, alignment.counts.fp, alignment.counts.fn) == (1, 1, 0)


GOLD = [claim("attribution", None, "RU"), claim("attribution", "US", "RU")]
PREDICTED = [claim("attribution", "US", "RU"), claim("attribution", "GB", "RU")]


@pytest.mark.parametrize("gold_order", list(itertools.permutations(GOLD)))
@pytest.mark.parametrize("predicted_order", list(itertools.permutations(PREDICTED)))
def test_matching_is_maximal_whatever_the_order(gold_order, predicted_order):
    # Greedy matching of US->RU to the null-speaker gold would leave GB->RU unmatched.
    alignment = align_claims(list(predicted_order), list(gold_order))
    assert alignment.counts.tp == 2


def test_claims_in_an_irrelevant_gold_document_are_false_positives(make_gold):
    golds = make_gold(gold_line(relevant=False))
    report = scores_from_records(golds, [prediction(relevant=True, claims=[claim("denial", "CN", "CN")])])
    claims = report.overall["claims"]
    assert (claims.tp, claims.fp, claims.fn) == (0, 1, 0)
    assert claims.precision == 0.0
    assert claims.recall is None


def test_per_kind_breakdown_counts_each_kind_apart(make_gold):
    golds = make_gold(gold_line(claims=[claim("attribution", "US", "CN"), claim("denial", "CN", "CN")]))
    predicted = prediction(claims=[claim("attribution", "US", "CN"), claim("response", "US", "CN")])
    by_kind = scores_from_records(golds, [predicted]).claims_by_kind
    assert by_kind["attribution"].tp == 1
    assert by_kind["denial"].fn == 1
    assert by_kind["response"].fp == 1
    assert list(by_kind) == ["attribution", "denial", "response"]

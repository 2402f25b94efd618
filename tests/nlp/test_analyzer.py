"""The analyzer end to end on short articles written for these tests."""

from __future__ import annotations

import json

import pytest

from cyberops.ingest.sources import article_from_text
from cyberops.nlp.language_model import _capitalized_inside, _may_name
from cyberops.nlp.mentions import SentenceView
from cyberops.record import Record, Span
from cyberops.schema import validate_record

DENIAL_FR = """Moscou rejette les accusations de cyberespionnage

Le Kremlin a démenti jeudi toute implication dans le piratage des serveurs d'un ministère estonien.

« Ces accusations sont sans fondement », a déclaré le porte-parole du Kremlin, Dmitri Peskov, devant la presse.

Selon un rapport publié mardi, des pirates informatiques liés au renseignement militaire russe auraient pénétré le réseau du ministère pendant des mois.
"""

SANCTION_EN = """US sanctions Iranian hackers over attacks on water utilities

The U.S. Treasury Department on Monday sanctioned six officials of Iran's Revolutionary Guard it accused of hacking the control systems of American water utilities.

Iran's foreign ministry spokesman Nasser Kanaani rejected the accusations as baseless.
"""

IRRELEVANT_EN = """Minister denies corruption charges

The finance minister on Tuesday denied accusations that he had accepted bribes from a construction firm, calling the charges baseless.
His lawyer said the minister would cooperate fully with prosecutors.
"""


def analyze(analyzer, text: str, article_id: str = "t") -> Record:
    return analyzer.analyze(article_from_text(text, article_id, article_id=article_id))


def claim_keys(record: Record) -> set[tuple]:
    return {(c.kind, c.speaker_state, c.subject_state) for c in record.claims}


def test_french_denial_names_the_spokesman_and_his_state(analyzer):
    record = analyze(analyzer, DENIAL_FR)
    assert record.language == "fr" and record.relevant
    assert ("denial", "RU", "RU") in claim_keys(record)
    persons = {e.name: e.state for e in record.entities if e.type == "person"}
    assert persons.get("Dmitry Peskov") == "RU"


def test_reports_attribute_to_the_state_of_the_hackers_hedged(analyzer):
    record = analyze(analyzer, DENIAL_FR)
    attributions = [c for c in record.claims if c.kind == "attribution"]
    assert [(c.subject_state, c.hedged) for c in attributions] == [("RU", True)]
    assert attributions[0].speaker_state is None


def test_sanction_response_and_denial_in_english(analyzer):
    record = analyze(analyzer, SANCTION_EN)
    keys = claim_keys(record)
    assert ("response", "US", "IR") in keys
    assert ("denial", "IR", "IR") in keys
    response = next(c for c in record.claims if c.kind == "response")
    assert response.measure == "sanction"


def test_irrelevant_article_has_empty_lists(analyzer):
    record = analyze(analyzer, IRRELEVANT_EN)
    assert record.relevant is False
    assert record.claims == [] and record.incidents == [] and record.entities == []


@pytest.mark.parametrize("text", [DENIAL_FR, SANCTION_EN, IRRELEVANT_EN])
def test_every_span_is_inside_the_text_and_not_empty(analyzer, text):
    record = analyze(analyzer, text)
    for span in record.spans():
        assert 0 <= span.start < span.end <= len(record.text)
        assert record.text[span.start : span.end].strip()


@pytest.mark.parametrize("text", [DENIAL_FR, SANCTION_EN, IRRELEVANT_EN])
def test_output_validates_against_the_shipped_schema(analyzer, text):
    data = json.loads(json.dumps(analyze(analyzer, text).to_dict()))
    validate_record(data)


def test_claims_carry_evidence_and_cues(analyzer):
    record = analyze(analyzer, DENIAL_FR)
    for claim in record.claims:
        assert claim.evidence and claim.cues


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The minister met Dmitry Peskov on Monday.", True),
        ("Microsoft has acquired a small security firm.", True),
        ("Alerts will not be issued unless users can act.", False),
        ("sites will also slow down under the weight of requests.", False),
        ("", False),
    ],
    ids=["name-inside", "opening-name-used-elsewhere", "opening-capital-only", "no-capital", "empty"],
)
def test_ner_runs_only_where_a_name_is_written_as_one(text, expected):
    names = _capitalized_inside(
        [SentenceView(0, Span(0, 1), "Shares of Microsoft rose.", [], {}), SentenceView(1, Span(0, 1), text, [], {})]
    )
    assert _may_name(text, names) is expected


def test_one_ner_batch_finds_the_entities_of_two_calls(analyzer):
    pipelines = analyzer.pipelines
    to_parse = ["Kremlin spokesman Dmitry Peskov denied the accusations.", "Officials said Microsoft was hit."]
    to_tag = ["Sergei Lavrov met Antony Blinken in Geneva.", "The storage system was built by Acme Corp."]
    parsed, tagged = pipelines.read("en", to_parse, to_tag)
    expected = [*pipelines.parse("en", to_parse), *pipelines.entities("en", to_tag)]
    assert [[(e.text, e.label_) for e in d.ents] for d in parsed + tagged] == [
        [(e.text, e.label_) for e in d.ents] for d in expected
    ]
    assert all(token.dep_ for doc in parsed for token in doc)


def test_a_parsed_sentence_left_out_of_the_ner_keeps_its_parse_and_has_no_entities(analyzer):
    to_parse = ["Kremlin spokesman Dmitry Peskov denied the accusations.", "Officials said Microsoft was hit."]
    parsed, tagged = analyzer.pipelines.read("en", to_parse, ["Sergei Lavrov met Antony Blinken."], [False, True])
    assert list(parsed[0].ents) == [] and any(token.dep_ == "nsubj" for token in parsed[0])
    assert [e.text for e in parsed[1].ents] == ["Microsoft"]
    assert [e.text for e in tagged[0].ents] == ["Sergei Lavrov", "Antony Blinken"]

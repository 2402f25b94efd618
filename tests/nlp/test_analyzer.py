"""The analyzer end to end on short articles written for these tests."""

from __future__ import annotations

import json

import pytest

from cyberops.ingest.sources import article_from_text
from cyberops.record import Record
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

"""Claims on word order alone: the path of every language without a spaCy model.

The French lexicon is read with the French model switched off (an empty model
table), so the claim finder sees only cue words and knowledge-base mentions,
exactly as it does for German, Russian or Chinese.
"""

from __future__ import annotations

import pytest

from cyberops.ingest.sources import article_from_text
from cyberops.nlp.analyzer import Analyzer
from cyberops.nlp.model_table import ModelTable
from cyberops.nlp.pipelines import Pipelines
from cyberops.record import Record


@pytest.fixture(scope="module")
def plain(analyzer, settings) -> Analyzer:
    """The shared analyzer's KB, no spaCy model for any language."""
    pipelines = Pipelines()
    pipelines.__dict__["table"] = ModelTable(models={}, person_labels=frozenset(), organization_labels=frozenset())
    without_models = Analyzer(settings, kb=analyzer.kb)
    without_models.__dict__["pipelines"] = pipelines
    return without_models


def analyze(plain: Analyzer, text: str) -> Record:
    article = article_from_text(text, "t", article_id="t")
    article.language = "fr"
    record = plain.analyze(article)
    assert record.language == "fr"
    return record


def keys(record: Record) -> set[tuple]:
    return {(c.kind, c.speaker_state, c.subject_state) for c in record.claims}


def test_no_sentence_is_parsed(plain):
    record = analyze(plain, "Cyberattaque\n\nLe Kremlin a démenti toute implication dans la cyberattaque.\n")
    assert not plain.pipelines.has_model("fr")
    assert ("denial", "RU", "RU") in keys(record)


def test_a_source_after_selon_is_the_speaker_and_not_accused(plain):
    record = analyze(
        plain,
        "Vol de cryptomonnaies\n\n"
        "Des pirates informatiques nord-coréens ont piraté une plateforme d'échange, selon le FBI.\n",
    )
    assert ("attribution", "US", "KP") in keys(record)
    assert not any(subject == "US" for kind, _, subject in keys(record) if kind == "attribution")


def test_the_name_after_a_reporting_verb_speaks(plain):
    record = analyze(
        plain,
        "Piratage du Bundestag\n\n"
        "« Des pirates russes ont piraté le réseau du Parlement », a déclaré le ministère allemand.\n",
    )
    assert ("attribution", "DE", "RU") in keys(record)


def test_the_accused_is_never_its_own_speaker(plain):
    record = analyze(
        plain,
        "Cyberespionnage\n\nDes pirates informatiques chinois sont derrière l'attaque contre une entreprise norvégienne.\n",
    )
    attributions = [c for c in record.claims if c.kind == "attribution"]
    assert [(c.speaker_state, c.subject_state) for c in attributions] == [(None, "CN")]
    assert attributions[0].hedged


def test_a_victim_before_the_cue_does_not_speak(plain):
    record = analyze(
        plain,
        "Attaque\n\nLes banques américaines ont été visées par des pirates iraniens, a affirmé un expert.\n",
    )
    assert not any(c.speaker_state == "US" for c in record.claims)

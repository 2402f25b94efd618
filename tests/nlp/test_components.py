"""The spaCy components that analyze a relevant article, one by one and as a pipeline."""

from __future__ import annotations

import pytest
from spacy.tokens import Doc

from cyberops.ingest.sources import article_from_text
from cyberops.nlp.analyzer import Analyzer
from cyberops.nlp.components import EntityBuilder, screened_doc
from cyberops.nlp.to_record import to_record

COMPONENTS = [
    "cyberops_sentences",
    "cyberops_titled_persons",
    "cyberops_language_model",
    "cyberops_claims",
    "cyberops_entities",
    "cyberops_incidents",
]

ACCUSATION_EN = """Germany blames Russia for hacking of parliament servers

The German foreign ministry on Thursday accused Russia's military intelligence service of a cyberattack on the servers of the Bundestag last spring.

Kremlin spokesman Dmitry Peskov denied the accusations, calling them groundless.

Berlin summoned the Russian ambassador over the hacking campaign, officials said.
"""

IRRELEVANT_EN = """Council approves new cycle lanes

The city council on Tuesday approved three new cycle lanes along the river, to be finished by the autumn.
"""


def article(text: str, article_id: str = "t"):
    return article_from_text(text, article_id, article_id=article_id)


def relevant_doc(analyzer) -> Doc:
    record, doc = analyzer.screened(article(ACCUSATION_EN))
    assert record.relevant and doc is not None
    return doc


def test_the_components_run_in_order_and_each_finds_what_it_reads(analyzer):
    nlp = analyzer.components
    assert nlp.pipe_names == COMPONENTS
    analysis = nlp.analyze_pipes()
    assert not any(analysis["problems"].values()), analysis["problems"]


@pytest.mark.parametrize("name", COMPONENTS)
def test_a_component_sets_what_it_declares(analyzer, name):
    nlp = analyzer.components
    doc = relevant_doc(analyzer)
    earlier = nlp.pipeline[: nlp.pipe_names.index(name)]
    for _, component in earlier:
        doc = component(doc)
    assigned_before = {attr for earlier_name, _ in earlier for attr in nlp.get_pipe_meta(earlier_name).assigns}
    declared = nlp.get_pipe_meta(name).assigns
    # What no earlier component wrote is still unset: this one is what sets it.
    assert all(getattr(doc._, attr.removeprefix("doc._.")) is None for attr in declared if attr not in assigned_before)
    doc = nlp.get_pipe(name)(doc)
    assert isinstance(doc, Doc)
    assert all(getattr(doc._, attr.removeprefix("doc._.")) is not None for attr in declared)


def test_an_article_gets_its_claims_through_the_pipeline(analyzer):
    doc = analyzer.components(relevant_doc(analyzer))
    claims = {(c.kind, c.speaker_state, c.subject_state) for c in doc._.claims}
    assert {("attribution", "DE", "RU"), ("denial", "RU", "RU")} <= claims
    assert "Dmitry Peskov" in {e.name for e in doc._.entities}
    assert doc._.incidents[0].attributed_states == ["RU"]
    # Parsed sentences are the language model's own Docs, kept for the claim rules.
    assert any(sentence.doc is not None for sentence in doc._.sentences)


def test_to_record_gives_the_record_what_the_components_found(analyzer):
    record, doc = analyzer.screened(article(ACCUSATION_EN))
    assert doc is not None and not record.claims
    found = analyzer.components(doc)
    assert to_record(found, record).claims == found._.claims
    assert record == analyzer.analyze(article(ACCUSATION_EN))


def test_an_irrelevant_article_never_becomes_a_doc(analyzer, settings):
    fresh = Analyzer(settings, kb=analyzer.kb)
    record, doc = fresh.screened(article(IRRELEVANT_EN))
    assert not record.relevant and doc is None
    assert "components" not in fresh.__dict__  # the component pipeline was not even built


def test_many_articles_through_one_stream_give_the_records_of_one_by_one(analyzer):
    texts = [IRRELEVANT_EN, ACCUSATION_EN, IRRELEVANT_EN, IRRELEVANT_EN, ACCUSATION_EN, IRRELEVANT_EN]
    articles = [article(text, f"a{number}") for number, text in enumerate(texts)]
    streamed = list(analyzer.analyze_many(articles))
    assert [r.id for r in streamed] == [a.id for a in articles]
    assert streamed == [analyzer.analyze(a) for a in articles]


def test_a_doc_without_the_screens_findings_is_refused(analyzer):
    with pytest.raises(ValueError, match="screened_doc"):
        analyzer.components("Kremlin spokesman Dmitry Peskov denied the accusations.")


def test_a_component_given_no_resources_says_so(analyzer):
    nlp = analyzer.components
    doc = nlp(screened_doc(nlp, "Nothing here.", "en", []))
    with pytest.raises(ValueError, match="initialize"):
        EntityBuilder("cyberops_entities")(doc)


def test_parse_goes_on_from_the_screen_as_analyze_does(analyzer):
    # What a batch engine does across two processes: screen in one, parse in the other from what the screen found.
    record, kb_mentions = analyzer.screening(article(ACCUSATION_EN))
    assert record.relevant and not record.claims
    assert {mention.state for mention in kb_mentions if mention.is_state} >= {"DE", "RU"}
    parsed = analyzer.parse(record, kb_mentions)
    assert parsed.to_dict() == analyzer.analyze(article(ACCUSATION_EN)).to_dict()
    assert {claim.kind for claim in parsed.claims} >= {"attribution", "denial"}
    irrelevant, none = analyzer.screening(article(IRRELEVANT_EN))
    assert not irrelevant.relevant and none == []

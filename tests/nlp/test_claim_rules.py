"""Claims on short articles written for these tests: who accuses, denies, answers back, responds.

Each article is analyzed end to end by the real analyzer (KB, spaCy models, cue lexicons).
"""

from __future__ import annotations

import pytest

from cyberops.ingest.sources import article_from_text
from cyberops.record import Record


def analyze(analyzer, text: str) -> Record:
    return analyzer.analyze(article_from_text(text, "t", article_id="t"))


def keys(record: Record, kind: str | None = None) -> set[tuple]:
    return {(c.kind, c.speaker_state, c.subject_state) for c in record.claims if kind in (None, c.kind)}


def test_an_agency_speaking_after_its_quote_holds_its_state(analyzer):
    record = analyze(
        analyzer,
        "US Treasury hacked\n\n"
        '"The breach has been attributed to a China state-sponsored threat actor," '
        "the Treasury Department said in a letter to lawmakers.\n",
    )
    assert ("attribution", "US", "CN") in keys(record)


def test_the_accused_subject_of_a_reported_clause_is_not_the_speaker(analyzer):
    record = analyze(
        analyzer,
        "White House blames Russian spies for software hack\n\n"
        "The White House said on Thursday that the SVR was behind the hack of nine federal agencies.\n",
    )
    assert ("attribution", "US", "RU") in keys(record, "attribution")
    assert ("attribution", "RU", "RU") not in keys(record)


def test_according_to_names_one_speaker_per_state(analyzer):
    record = analyze(
        analyzer,
        "Crypto exchange robbed\n\n"
        "North Korean hackers stole 300 million dollars from a Tokyo exchange, "
        "according to the FBI and Japan's police.\n",
    )
    attributions = keys(record, "attribution")
    assert ("attribution", "US", "KP") in attributions
    assert ("attribution", "JP", "KP") in attributions


def test_a_source_phrase_is_not_accused(analyzer):
    record = analyze(
        analyzer,
        "Vol de cryptomonnaies\n\n"
        "Des pirates informatiques nord-coréens ont dérobé des cryptomonnaies à une plateforme japonaise, "
        "selon le renseignement américain.\n",
    )
    attributions = keys(record, "attribution")
    assert ("attribution", "US", "KP") in attributions
    assert not any(subject == "US" for _, _, subject in attributions)


def test_passive_accusation_takes_the_agent_as_speaker(analyzer):
    record = analyze(
        analyzer,
        "Cyberattaque mondiale\n\n"
        "La Corée du Nord est accusée par l'administration Trump d'être à l'origine de la cyberattaque "
        "qui a paralysé des milliers de sociétés.\n",
    )
    assert ("attribution", "US", "KP") in keys(record)


def test_the_press_speaks_for_no_state(analyzer):
    record = analyze(
        analyzer,
        "Cyberattaques contre l'Iran\n\n"
        "Samedi, des médias américains ont rapporté que les Etats-Unis avaient lancé des cyberattaques "
        "contre des systèmes de lancement de missiles.\n",
    )
    assert keys(record, "attribution") == {("attribution", None, "US")}


def test_a_charge_against_hackers_linked_to_a_state_is_a_response_and_an_attribution(analyzer):
    record = analyze(
        analyzer,
        "Iranian hackers charged\n\n"
        "The U.S. charged seven hackers linked to the Iranian government with attacks on dozens of banks.\n",
    )
    assert {("response", "US", "IR"), ("attribution", "US", "IR")} <= keys(record)
    response = next(c for c in record.claims if c.kind == "response")
    assert response.measure == "indictment"


def test_the_denier_accusing_back_makes_a_counter_accusation(analyzer):
    record = analyze(
        analyzer,
        "China rejects hacking allegations\n\n"
        "China's foreign ministry spokesman Wang Lei rejected the accusations as groundless.\n\n"
        "Wang Lei accused Washington of cyber espionage against Chinese universities.\n",
    )
    assert ("denial", "CN", "CN") in keys(record)
    assert ("counter_accusation", "CN", "US") in keys(record)
    assert ("attribution", "CN", "US") not in keys(record)


def test_disputing_the_effect_of_another_states_attack_is_no_denial(analyzer):
    record = analyze(
        analyzer,
        "Iran denies US cyberattacks had any effect\n\n"
        "Iran's telecommunications minister said no attack had succeeded against its missile systems.\n",
    )
    assert not keys(record, "denial")


def test_a_condemnation_alone_is_no_response(analyzer):
    record = analyze(
        analyzer,
        "Berlin condemns hack\n\n"
        "Germany strongly condemned the cyberattack on its parliament, which officials said "
        "was carried out by Russian military intelligence hackers.\n",
    )
    assert not keys(record, "response")


def test_a_participle_on_a_noun_is_passive_in_a_headline(analyzer):
    record = analyze(
        analyzer,
        "Russian ambassador summoned to German Foreign Ministry over hacker attack on Bundestag\n\n"
        "Berlin says Russian military intelligence hackers stole data from the Bundestag.\n",
    )
    assert ("response", "RU", "DE") not in keys(record)


@pytest.mark.parametrize(
    "text",
    [
        "A Justice Department official told The Associated Press that the indictments are part of a strategy "
        "against foreign governments that support such attacks.",
        "Microsoft said the Charming Kitten group lowered fears associated with travel before the attacks.",
    ],
)
def test_words_inside_names_or_unrelated_phrases_accuse_nobody(analyzer, text):
    record = analyze(analyzer, "Cyberattacks\n\n" + text + "\n")
    assert not [c for c in keys(record, "attribution") if c[2] == "US"]

"""Apostrophe variants, title-case acronyms, blocking names and the English/French state forms."""

from __future__ import annotations

import pytest

from cyberops.kb import KnowledgeBase


def _found(kb: KnowledgeBase, text: str) -> dict[str, str]:
    """surface -> entry id (states as ``state:CODE``)."""
    found = {}
    for m in kb.scan(text):
        found[m.text] = f"state:{kb.state_term(m.entry_id).code}" if m.kind == "state" else m.entry_id
    return found


@pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u02bc"])
def test_exact_case_alias_matches_whatever_the_apostrophe(kb: KnowledgeBase, apostrophe: str) -> None:
    text = f"Le Quai d{apostrophe}Orsay a convoqué l{apostrophe}ambassadeur."
    [match] = [m for m in kb.scan(text) if m.kind == "entity"]
    # offsets point into the original text, curly apostrophe included
    assert text[match.start : match.end] == match.text == f"Quai d{apostrophe}Orsay"


def test_curly_apostrophe_before_a_state_form(kb: KnowledgeBase) -> None:
    assert _found(kb, "Selon l\u2019Élysée, la Chine nie.") == {"l\u2019Élysée": "state:FR", "Chine": "state:CN"}


@pytest.mark.parametrize("surface", ["NATO", "Nato", "ANSSI", "Anssi"])
def test_vetted_acronym_matches_in_title_case(kb: KnowledgeBase, surface: str) -> None:
    assert len([m for m in kb.scan(f"Officials at {surface} said the network was breached.") if m.kind == "entity"]) == 1


@pytest.mark.parametrize("text", ["the nato word in lower case", "a prism splits light: Prism", "Mois après mois"])
def test_title_case_does_not_make_ordinary_words_match(kb: KnowledgeBase, text: str) -> None:
    assert not [m for m in kb.scan(text) if m.kind == "entity"]


@pytest.mark.parametrize(
    "text",
    [
        "The Washington Post reported the breach.",
        "Bill Clinton spoke at the summit.",
        "Jack London wrote novels.",
        "Real Madrid won again.",
    ],
)
def test_names_that_contain_a_state_form_or_surname_are_not_mentions(kb: KnowledgeBase, text: str) -> None:
    assert kb.scan(text) == []


def test_the_blocking_name_hides_only_itself(kb: KnowledgeBase) -> None:
    assert _found(kb, "The Washington Post said Washington blamed Clinton.") == {
        "Washington": "state:US",
        "Clinton": "person:hillary-clinton",
    }


@pytest.mark.parametrize(
    ("text", "surface", "code"),
    [
        pytest.param("des hackers marocains", "marocains", "MA", id="fr-demonym-plural"),
        pytest.param("une entreprise marocaine", "marocaine", "MA", id="fr-demonym-feminine"),
        pytest.param("le gouvernement nippon", "nippon", "JP", id="fr-nippon"),
        pytest.param("la presse nippone", "nippone", "JP", id="fr-nippone"),
        pytest.param("les autorités néerlandaises", "néerlandaises", "NL", id="fr-neerlandais"),
        pytest.param("Rabat a démenti", "Rabat", "MA", id="fr-capital"),
        pytest.param("a statement from Ankara", "Ankara", "TR", id="en-capital"),
        pytest.param("Moroccans and others", "Moroccans", "MA", id="en-demonym-plural"),
        pytest.param("Turkey said", "Turkey", "TR", id="en-name"),
        pytest.param("Vienne, capitale de l'Autriche", "Vienne", "AT", id="ambiguous-with-context"),
    ],
)
def test_english_and_french_state_forms(kb: KnowledgeBase, text: str, surface: str, code: str) -> None:
    assert _found(kb, text).get(surface) == f"state:{code}"


@pytest.mark.parametrize("text", ["polish the shoes", "la Vienne déborde", "a manila envelope"])
def test_state_forms_that_are_ordinary_words_need_their_case_or_context(kb: KnowledgeBase, text: str) -> None:
    assert not [m for m in kb.scan(text) if m.kind == "state"]

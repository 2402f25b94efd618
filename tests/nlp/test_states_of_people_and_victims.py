"""Whose state a person speaks for, and which states an incident hit: short articles written for these tests."""

from __future__ import annotations

from cyberops.ingest.sources import article_from_text
from cyberops.record import Record

AMBASSADOR_EN = """Ambassador summoned over cyberattack on parliament

Investigators said hackers infiltrated the Bundestag last spring and stole the emails of members.

The Russian ambassador to Germany, Dmitry Petrov, was summoned to the German Foreign Ministry over the cyberattack.
"""

AMBASSADEUR_FR = """Cyberattaque : l'ambassadeur convoqué

Des pirates informatiques ont infiltré les serveurs d'un ministère néerlandais, selon les enquêteurs.

L'ambassadeur chinois en France, Li Wei, a été convoqué après la cyberattaque.
"""

RESEARCH_EN = """Spies hacked vaccine research

Intelligence officials said hackers had hacked pharmaceutical companies and research centres in Canada during the pandemic.
"""


def analyze(analyzer, text: str) -> Record:
    return analyzer.analyze(article_from_text(text, "t", article_id="t"))


def person_state(record: Record, name: str) -> str | None:
    [person] = [e for e in record.entities if e.type == "person" and e.name == name]
    return person.state


def reported_victims(record: Record) -> list[str]:
    return [s for i in record.incidents if i.status == "reported" for s in i.victim_states]


def test_an_ambassador_belongs_to_the_state_that_sends_him_not_the_host(analyzer):
    assert person_state(analyze(analyzer, AMBASSADOR_EN), "Dmitry Petrov") == "RU"


def test_an_ambassadeur_en_france_is_chinese(analyzer):
    assert person_state(analyze(analyzer, AMBASSADEUR_FR), "Li Wei") == "CN"


def test_a_national_parliament_is_a_state_body_and_a_victim(analyzer):
    record = analyze(analyzer, AMBASSADOR_EN)
    [bundestag] = [e for e in record.entities if e.name == "Bundestag"]
    assert bundestag.state == "DE"
    assert "DE" in reported_victims(record)


def test_a_place_after_the_victim_nouns_names_the_victim_state(analyzer):
    assert reported_victims(analyze(analyzer, RESEARCH_EN)) == ["CA"]

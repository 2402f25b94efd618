"""Language resources for languages without a spaCy model: cue lexicons, titled persons, transliteration."""

from __future__ import annotations

import pytest

from cyberops.nlp.claim_cues import load_claim_cues
from cyberops.nlp.mentions import Mention, SentenceView
from cyberops.nlp.titled_persons import add_titled_persons, load_person_patterns, mission_mentions, titled_persons
from cyberops.nlp.transliterate import to_latin
from cyberops.record import Span

LANGUAGES = ("de", "es", "it", "pt", "ru", "uk", "zh", "ar", "fa", "ja", "ko")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_a_claim_lexicon(lang):
    cues = load_claim_cues(lang)
    assert cues
    for group in ("denial", "attribution", "misconduct", "speech", "response_sanction", "cooperation"):
        assert cues._groups.get(group) is not None, group


@pytest.mark.parametrize(
    ("lang", "text", "group", "found"),
    [
        ("ru", "Представитель МИД отвергла обвинения", "denial", "отвергла обвинения"),
        ("ru", "Москва не имеет никакого отношения к атаке", "denial", "не имеет никакого отношения"),
        ("ru", "власти обвинили хакеров", "attribution", "обвинили"),
        ("uk", "Речник заперечив це", "denial", "заперечив"),
        ("de", "Die Regierung wies die Vorwürfe entschieden zurück", "denial", "wies die Vorwürfe entschieden zurück"),
        ("es", "El ministro calificó de infundadas las acusaciones", "denial", "infundadas"),
        ("it", "Il governo ha respinto le accuse", "denial", "respinto le accuse"),
        ("pt", "O governo negou ter participado", "denial", "negou"),
        ("ar", "ونفت الوزارة أي علاقة", "denial", "ونفت"),
        ("zh", "发言人否认了这一说法", "denial", "否认"),
        ("ja", "政府は関与を否定した", "denial", "関与を否定"),
        ("ko", "정부는 의혹을 부인했다", "denial", "부인했다"),
    ],
)
def test_cues_match_inflected_and_clitic_forms(lang, text, group, found):
    assert [c.text for c in load_claim_cues(lang).find(text, group)] == [found]


def test_unspaced_scripts_match_inside_a_run_of_characters():
    # Chinese has no spaces: a cue is found although letters touch it on both sides.
    assert load_claim_cues("zh").has("美方对此强烈谴责并予以制裁", "response_sanction")
    # A spaced language keeps its word boundaries: "sanctioned" does not hide in "unsanctionedly".
    assert not load_claim_cues("de").has("Unsanktionierbar", "response_sanction")


def _sentence(text: str, mentions: list[Mention]) -> SentenceView:
    return SentenceView(0, Span(0, len(text)), text, mentions, {})


def test_a_title_introduces_a_cyrillic_name_with_its_state_and_latin_form():
    text = "заявил пресс-секретарь российского президента Иван Петров вчера"
    state = text.index("российского")
    sentence = _sentence(text, [Mention(state, state + len("российского"), "российского", "state", "RU", "demonym")])
    [person] = titled_persons(sentence, load_person_patterns("ru"))
    assert person.mention.text == "Иван Петров"
    assert person.mention.state == "RU"
    assert person.latin == "Ivan Petrov"


def test_a_chinese_name_ends_at_the_speech_verb():
    text = "外交部发言人李明表示反对"
    org = Mention(0, 3, "外交部", "organization", "CN", "kb", "org:x")
    [person] = titled_persons(_sentence(text, [org]), load_person_patterns("zh"))
    assert person.mention.text == "李明"
    assert person.mention.state == "CN"
    assert person.latin == "Li Ming"


def test_institution_words_are_not_names():
    text = "disse o vice-ministro das Relações Exteriores em comunicado"
    assert titled_persons(_sentence(text, []), load_person_patterns("pt")) == []


def test_a_name_before_its_title():
    text = "Ana Souza, porta-voz do governo, negou tudo"
    [person] = titled_persons(_sentence(text, []), load_person_patterns("pt"))
    assert person.mention.text == "Ana Souza"


def test_an_embassy_speaks_for_its_own_state_not_its_host():
    text = "Die chinesische Botschaft in Berlin sprach von Spekulation"
    cn = text.index("chinesische")
    berlin = text.index("Berlin")
    mentions = [
        Mention(cn, cn + len("chinesische"), "chinesische", "state", "CN", "demonym"),
        Mention(berlin, berlin + 6, "Berlin", "state", "DE", "metonym"),
    ]
    [mission] = mission_mentions(_sentence(text, mentions), load_person_patterns("de"))
    assert mission.state == "CN"
    assert mission.text == "chinesische Botschaft in Berlin"


def test_add_titled_persons_returns_latin_forms_and_keeps_mentions_sorted():
    text = "сказал официальный представитель МИД Анна Смирнова"
    sentence = _sentence(text, [])
    latin = add_titled_persons([sentence], "ru")
    assert list(latin.values()) == ["Anna Smirnova"]
    assert [m.start for m in sentence.mentions] == sorted(m.start for m in sentence.mentions)


def test_a_language_without_persons_file_finds_nothing():
    sentence = _sentence("Spokesman John Smith said", [])
    assert add_titled_persons([sentence], "en") == {}
    assert sentence.mentions == []


@pytest.mark.parametrize(
    ("lang", "name", "latin"),
    [
        ("ru", "Дмитрий Песков", "Dmitry Peskov"),
        ("ru", "Мария Захарова", "Maria Zakharova"),
        ("uk", "Володимир Зеленський", "Volodymyr Zelenskyi"),
        ("zh", "汪文斌", "Wang Wenbin"),
        ("de", "Olaf Scholz", None),
    ],
)
def test_transliteration(lang, name, latin):
    assert to_latin(name, lang) == latin

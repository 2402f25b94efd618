"""Word-order rules of languages without a parse: verb-first subjects (Arabic), the accuser of a
rejected accusation (German verb-final denials), the called-on party, and the same body under two names.

Example sentences are our own.
"""

from __future__ import annotations

import pytest

from cyberops.ingest.sources import article_from_text
from cyberops.nlp.claim_cues import GROUPS, load_claim_cues
from cyberops.record import Record

LANGUAGES = ("de", "es", "it", "pt", "ru", "uk", "zh", "ar", "fa", "ja", "ko")


def analyze(analyzer, text: str, lang: str) -> Record:
    article = article_from_text(text, "t", article_id="t")
    article.language = lang
    record = analyzer.analyze(article)
    assert record.language == lang
    return record


def keys(record: Record) -> set[tuple]:
    return {(c.kind, c.speaker_state, c.subject_state) for c in record.claims}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_fills_the_speaker_groups(lang):
    cues = load_claim_cues(lang)
    for group in ("accused_subject", "press", "response_target"):
        assert group in GROUPS
        assert cues._groups.get(group) is not None, (lang, group)


def test_only_arabic_declares_verb_first_order():
    assert load_claim_cues("ar").order.verb_first
    assert not any(load_claim_cues(lang).order.verb_first for lang in LANGUAGES if lang != "ar")


def test_verb_first_subject_speaks_and_its_objects_are_accused(analyzer):
    record = analyze(analyzer, "اتهمت فرنسا الصين بشن هجمات إلكترونية على شركات الطيران.", "ar")
    assert ("attribution", "FR", "CN") in keys(record)
    assert not any(c.subject_state == "FR" for c in record.claims)


def test_verb_first_denial_takes_the_subject_after_the_verb(analyzer):
    record = analyze(analyzer, "ورفضت إيران الاتهامات بشن هجمات إلكترونية على البنوك، معتبرة أنها لا أساس لها من الصحة.", "ar")
    assert ("denial", "IR", "IR") in keys(record)


def test_verb_final_denial_is_not_spoken_by_the_accuser(analyzer):
    record = analyze(analyzer, "Nordkorea hat die Vorwürfe der japanischen Regierung wegen Cyberangriffen zurückgewiesen.", "de")
    assert ("denial", "KP", "KP") in keys(record)
    assert ("denial", "JP", "JP") not in keys(record)


def test_a_denial_verb_ends_a_noun_phrase(analyzer):
    record = analyze(analyzer, "Iran dementiert Spionagevorwürfe gegen Hacker.", "de")
    assert ("denial", "IR", "IR") in keys(record)
    assert not any(c.kind == "attribution" and c.subject_state == "IR" for c in record.claims)


def test_the_party_called_on_is_not_the_speaker(analyzer):
    text = "Der Sprecher des chinesischen Außenministeriums sagte dies. Er forderte die USA auf, die haltlosen Vorwürfe zurückzunehmen."
    record = analyze(analyzer, text, "de")
    assert ("denial", "US", "US") not in keys(record)


def test_a_measure_targets_the_state_after_its_target_word(analyzer):
    record = analyze(analyzer, "Die EU verhängt Einreiseverbote gegen drei Iraner wegen Cyberangriffen.", "de")
    assert ("response", "EU", "IR") in keys(record)


def test_one_body_under_two_names_is_one_speaker(analyzer):
    text = (
        "Служба безпеки України заявила, що російські хакери атакували банки. "
        "За даними СБУ, атаку здійснило угруповання, пов'язане з ГРУ."
    )
    record = analyze(analyzer, text, "uk")
    assert [(c.kind, c.speaker_state, c.subject_state) for c in record.claims].count(("attribution", "UA", "RU")) == 1


def test_a_chinese_agent_first_sentence_accuses_the_agent(analyzer):
    record = analyze(analyzer, "外交部发言人表示,美国情报机构对中国大学实施网络攻击。", "zh")
    assert any(c.kind == "attribution" and c.subject_state == "US" for c in record.claims)
    assert not any(c.kind == "attribution" and c.subject_state == "CN" for c in record.claims)


@pytest.mark.parametrize(
    "text",
    [
        "Cyberangriff. China hat Washington beschuldigt, die Computer einer Universität gehackt zu haben.",
        "Hackerangriff. China hat dem amerikanischen Geheimdienst NSA vorgeworfen, Universitäten gehackt zu haben.",
    ],
)
def test_verb_final_accusation_puts_the_object_between_auxiliary_and_participle(analyzer, text):
    record = analyze(analyzer, text, "de")
    assert ("attribution", "CN", "US") in keys(record)
    assert not any(c.subject_state == "CN" for c in record.claims)


def test_a_preposition_ends_the_phrase_of_a_state_without_a_parse(analyzer):
    # "Washington in the hacking of computers" is no "Washington computers": Washington stays accused.
    record = analyze(analyzer, "Кибератака. Китай обвинил Вашингтон во взломе компьютеров университета хакерами.", "ru")
    assert ("attribution", "CN", "US") in keys(record)

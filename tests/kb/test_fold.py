"""The fast paths of the KB scan: the array-based fold, the inlined word tests, and the bound on actor mentions."""

from __future__ import annotations

import pytest

from cyberops.kb import KnowledgeBase
from cyberops.kb.textnorm import build_fold_table


@pytest.fixture(scope="module")
def reference_table() -> dict[int, int]:
    return build_fold_table()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("Équipe ÉLYSÉE – l’APT28 ‘Fancy Bear’", id="latin-accents-quotes"),
        pytest.param("ХАКЕРЫ Ёлки, Ставка", id="cyrillic"),
        pytest.param("中国黑客攻击了美国 공격 ヤマト", id="cjk"),
        pytest.param("والصين كـ هجوم", id="arabic"),
        pytest.param("math 𝔘𝔫𝔦 and emoji 😀 beside APT28", id="astral"),
        pytest.param("broken \ud83d surrogate", id="lone-surrogate"),
    ],
)
def test_fold_is_the_fold_table(kb: KnowledgeBase, reference_table: dict[int, int], text: str) -> None:
    folded = kb.fold(text)
    assert folded == text.translate(reference_table)
    assert len(folded) == len(text)


def test_offsets_stay_right_after_astral_characters(kb: KnowledgeBase) -> None:
    text = "😀😀 Officials blamed APT28 for the breach."
    [match] = [m for m in kb.scan(text) if m.kind == "entity"]
    assert text[match.start : match.end] == match.text == "APT28"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("APT28 struck", True, id="text-start"),
        pytest.param("struck by APT28", True, id="text-end"),
        pytest.param("XAPT28 struck", False, id="inside-a-word"),
        pytest.param("APT28X struck", False, id="runs-on-into-a-word"),
        pytest.param("(APT28) struck", True, id="punctuation-around"),
    ],
)
def test_alias_must_be_a_whole_word(kb: KnowledgeBase, text: str, found: bool) -> None:
    assert any(m.text == "APT28" for m in kb.scan(text)) is found


ACTOR_TYPES = ("threat_actor", "malware", "operation")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("APT28, known as Fancy Bear, deployed WannaCry; Lazarus denied it.", id="several-actors"),
        pytest.param("Officials in Russia and China met in Paris on Tuesday.", id="states-only"),
        pytest.param("XAPT28 and APT28X are no names.", id="inside-words"),
        pytest.param("", id="empty"),
    ],
)
def test_most_mentions_never_counts_fewer_than_scan_finds(kb: KnowledgeBase, text: str) -> None:
    found = [m for m in kb.scan(text) if m.kind == "entity" and kb.entry(m.entry_id).type in ACTOR_TYPES]
    assert kb.most_mentions(text, ACTOR_TYPES, limit=100) >= len(found)


def test_most_mentions_is_zero_without_actor_names(kb: KnowledgeBase) -> None:
    assert kb.most_mentions("Officials in Russia and China met in Paris on Tuesday.", ACTOR_TYPES, limit=3) == 0


def test_most_mentions_stops_at_the_limit(kb: KnowledgeBase) -> None:
    text = "APT28 struck. APT29 struck. Lazarus struck. WannaCry spread. NotPetya spread."
    assert kb.most_mentions(text, ACTOR_TYPES, limit=2) == 2
    assert kb.most_mentions(text, ACTOR_TYPES, limit=0) == 0

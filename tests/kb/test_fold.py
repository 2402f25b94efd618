"""The array-based fold and the inlined word tests of KnowledgeBase.scan against their plain definitions."""

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

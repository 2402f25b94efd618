"""The shared pattern loader: syntax, validation errors, fallbacks."""

from __future__ import annotations

import pytest

from cyberops.errors import CyberopsError
from cyberops.nlp.lexicon import LexiconCache, LexiconError, available_languages, load_patterns, parse_lexicon


def _lexicon(groups, word_boundaries=True):
    return parse_lexicon({"word_boundaries": word_boundaries, "groups": groups}, "t", ("xx",), "test.json")


def test_wildcard_tilde_and_space_syntax():
    lex = _lexicon({"g": {"patterns": ["cyber~attack*", "data breach*"]}})
    found = [m.text for m in lex.scan("A Cyber-Attack, cyberattacks and a data\nbreaches report.")]
    assert found == ["Cyber-Attack", "cyberattacks", "data\nbreaches"]


def test_word_boundaries_and_offsets():
    lex = _lexicon({"g": {"patterns": ["hack*"]}})
    text = "The shack was hacked."
    matches = lex.scan(text)
    assert [(m.start, m.end) for m in matches] == [(14, 20)]
    assert text[matches[0].start : matches[0].end] == "hacked"


def test_no_boundaries_for_scripts_without_spaces():
    lex = _lexicon({"g": {"patterns": ["黑客"]}}, word_boundaries=False)
    assert [m.text for m in lex.scan("遭到黑客攻击")] == ["黑客"]


def test_leading_wildcard_takes_attached_prefixes():
    lex = _lexicon({"g": {"patterns": ["*قراصنة"]}})
    assert [m.text for m in lex.scan("قال إن والقراصنة")] == ["والقراصنة"]


def test_longest_then_first_listed_wins():
    lex = _lexicon({"neutral": {"weight": 0, "patterns": ["hackathon*"]}, "strong": {"patterns": ["hack*"]}})
    assert [m.group for m in lex.scan("a hackathon")] == ["neutral"]


@pytest.mark.parametrize(
    "order",
    [["data", "data breach*"], ["data breach*", "data"]],
    ids=["short-listed-first", "long-listed-first"],
)
def test_longest_wins_whatever_the_listing_order(order):
    # Both entries share the anchor "data"; the order in the file must not matter.
    lex = _lexicon({"g": {"patterns": order}})
    assert [m.text for m in lex.scan("a data breaches report, and data")] == ["data breaches", "data"]


def test_longest_wins_across_groups_sharing_an_anchor():
    lex = _lexicon(
        {"weak": {"weight": 0.5, "patterns": ["leaked"]}, "leak": {"weight": 3, "patterns": ["leaked emails"]}}
    )
    assert [(m.group, m.weight) for m in lex.scan("leaked emails, leaked files")] == [("leak", 3.0), ("weak", 0.5)]


def test_equal_length_ties_go_to_the_first_listed():
    lex = _lexicon({"a": {"patterns": ["hack*"]}, "b": {"patterns": ["hacked"]}})
    assert [m.group for m in lex.scan("hacked")] == ["a"]


def test_per_pattern_weight():
    lex = _lexicon({"g": {"weight": 2, "patterns": ["virus", {"pattern": "worm", "weight": 0.5}]}})
    assert [m.weight for m in lex.scan("virus worm")] == [2.0, 0.5]


@pytest.mark.parametrize(
    ("groups", "fragment"),
    [
        ({"g": {"patterns": ["*a"]}}, "literal characters"),
        ({"g": {"patterns": [""]}}, "empty pattern"),
        ({"g": {"patterns": ["dup", "DUP"]}}, "duplicate"),
        ({"g": {"patterns": [3]}}, "an entry is a string"),
        ({"g": ["x"]}, "patterns"),
        ({"g": {"weight": "high", "patterns": ["abc"]}}, "weight"),
    ],
)
def test_bad_entries_name_file_and_entry(groups, fragment):
    with pytest.raises(LexiconError, match=fragment) as error:
        _lexicon(groups)
    assert "test.json" in str(error.value)
    assert isinstance(error.value, CyberopsError)


def test_missing_language_file_is_an_empty_lexicon():
    assert not load_patterns("relevance", "xx-nope")


def test_shipped_files_all_load():
    for name in ("relevance", "incident_types"):
        languages = available_languages(name)
        assert {"en", "fr", "de", "ru", "zh", "ar"} <= set(languages)
        for lang in languages:
            assert load_patterns(name, lang)


def test_unknown_language_uses_the_union_and_is_cached():
    cache = LexiconCache()
    union = cache.get("relevance", None)
    assert cache.get("relevance", None) is union
    assert cache.get("relevance", "xx-nope") is union
    assert {m.text for m in union.scan("hackers 黑客 хакеры")} == {"hackers", "黑客", "хакеры"}

import pytest

from cyberops.nlp.sentences import split_sentences


def texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_abbreviations_do_not_end_a_sentence():
    assert texts("The U.S. Treasury said Mr. Smith left. He denied it.") == [
        "The U.S. Treasury said Mr. Smith left.",
        "He denied it.",
    ]


def test_line_breaks_and_cjk_full_stops_end_sentences():
    assert texts("Headline\n\n外交部发言人说。美国是黑客帝国。") == ["Headline", "外交部发言人说。", "美国是黑客帝国。"]


def test_closing_quotes_stay_with_their_sentence():
    assert texts('"It is nonsense." She left.') == ['"It is nonsense."', "She left."]


def test_spans_point_into_the_text_without_surrounding_space():
    text = "  One.   Two!  "
    for span in split_sentences(text):
        assert not text[span.start].isspace() and not text[span.end - 1].isspace()


def test_arabic_persian_and_japanese_stops_end_sentences():
    assert texts("هل هذا صحيح؟ نعم") == ["هل هذا صحيح؟", "نعم"]
    assert texts("این یک جمله است۔ دومی") == ["این یک جمله است۔", "دومی"]
    assert texts("攻撃を否定した｡会見で述べた｡") == ["攻撃を否定した｡", "会見で述べた｡"]


def test_cjk_closing_brackets_stay_with_their_sentence():
    assert texts("他说：「我们反对。」记者问") == ["他说：「我们反对。」", "记者问"]


def test_a_full_stop_glued_to_the_next_sentence_ends_it():
    assert texts("a déclaré Dmitri Peskov.Le Royaume-Uni accuse Moscou.") == [
        "a déclaré Dmitri Peskov.",
        "Le Royaume-Uni accuse Moscou.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Read it on example.com today.", id="domain"),
        pytest.param("Read it on www.News.Com today.", id="capitalised-domain"),
        pytest.param("See https://site.org/Page.Html now.", id="url"),
        pytest.param("Version 2.0.Beta is out.", id="version"),
        pytest.param("The U.S.Treasury and J.R.R.Tolkien agree.", id="initials"),
        pytest.param("Mr.Smith and e.g.The Times agree.", id="abbreviations"),
        pytest.param("The ASP.Net runtime crashed.", id="upper-case-before"),
    ],
)
def test_glued_full_stop_that_ends_no_sentence(text: str):
    assert texts(text) == [text]

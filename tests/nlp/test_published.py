"""Publication dates: full dates from cues, URLs and date lines; null otherwise."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cyberops.nlp.published import find_published


def _corpus() -> Path:
    default = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
    return Path(os.environ.get("CYBEROPS_CORPUS", default))


def _dev_documents() -> Iterator[dict]:
    files = sorted((_corpus() / "dev").glob("*.jsonl"))
    if not files:
        pytest.skip("dev corpus not found (set CYBEROPS_CORPUS)")
    for path in files:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


BODY = "The ministry said on Tuesday that the attack had been repelled.\n"


@pytest.mark.parametrize(
    ("text", "url", "lang", "expected", "source"),
    [
        pytest.param("Published Date: Jun 06, 2017 17:37 PM | Updated Date: Jun 07, 2017\n" + BODY,
                     None, "en", "2017-06-06", "text", id="published-cue-beats-updated"),
        pytest.param("Mis à jour le 3 mars 2020\nPublié le 2 mars 2020 à 10h\n" + BODY,
                     None, "fr", "2020-03-02", "text", id="published-line-beats-earlier-updated-line"),
        pytest.param("Titel der Meldung Stand: 09.08.2023 18:40 Uhr\n" + BODY,
                     None, "de", "2023-08-09", "text", id="stand-line"),
        pytest.param("Publicado el 19 de diciembre de 2014\n" + BODY, None, "es", "2014-12-19", "text",
                     id="month-name-es"),
        pytest.param("发布时间：2024年5月8日 12:42\n" + BODY, None, "zh", "2024-05-08", "text", id="zh-cue"),
        pytest.param(BODY, "https://example.org/news/2016/06/14/story-title", "en", "2016-06-14", "url",
                     id="url-y-m-d"),
        pytest.param(BODY, "https://example.org/article/20180405/news01/657116/x", "en", "2018-04-05", "url",
                     id="url-yyyymmdd"),
        pytest.param(BODY, "http://example.org/a/202508/29/WS68b.html", "en", "2025-08-29", "url",
                     id="url-yyyymm-dd"),
        pytest.param(BODY, "https://example.org/politics/11/05/2021/6099a87e", "ru", "2021-05-11", "url",
                     id="url-d-m-y-by-language-order"),
        pytest.param("Headline\n\n03/10/2019 10:47PM\n\n" + BODY, None, "ar", "2019-10-03", "text",
                     id="date-line-with-time"),
        pytest.param("Headline\nRIA Novosti 13.07.23 Words: 263\n" + BODY, None, "ru", "2023-07-13", "text",
                     id="dotted-two-digit-year"),
        pytest.param("Paris, France | AFP | lundi 11/04/2022 - La France a décidé d'expulser six espions.\n",
                     None, "fr", "2022-04-11", "text", id="agency-dateline"),
        pytest.param("标题\n【大紀元2016年02月05日訊】近日，英國林肯郡政府的電腦系統被入侵。\n",
                     None, "zh", "2016-02-05", "text", id="dispatch-stamp"),
        pytest.param(BODY + "Les autorités avaient évoqué une attaque sans précédent.(©AFP / 15 février 2018 10h24)",
                     None, "fr", "2018-02-15", "text", id="credit-line-at-end"),
    ],
)  # fmt: skip
def test_finds_date(text: str, url: str | None, lang: str, expected: str, source: str) -> None:
    found = find_published(text, url, lang=lang)
    assert found is not None
    assert (found.date, found.source) == (expected, source)
    assert found.evidence


@pytest.mark.parametrize(
    ("text", "url", "lang"),
    [
        pytest.param("Menu\nSearch\nMardi 19 Mars 2024\nS'abonner\nLa Chine rejette les accusations\n" + BODY,
                     None, "fr", id="day-of-viewing-header"),
        pytest.param("Headline\nMOSCOW, December 21. /TASS/. Moscow is not involved.\n", None, "en",
                     id="dateline-without-year"),
        pytest.param(BODY, "https://example.org/2020/01/hackers-deface-site/", "en", id="url-month-only"),
        pytest.param(" date 2021-07 Le gouvernement marocain ne reconnait pas.\n", None, "fr", id="month-only-header"),
        pytest.param("access_time depuis 4 années\n" + BODY, None, "fr", id="relative-timestamp"),
        pytest.param("Cet article date de plus de neuf ans.\nPublié Mis à jour\n" + BODY, None, "fr",
                     id="cue-words-without-date"),
        pytest.param("Headline\nThe intrusion began on 5 March 2019 and lasted weeks, officials said.\n", None, "en",
                     id="event-date-in-prose"),
        pytest.param("Headline\nBill Gates, 8 November 2019\n" + BODY, None, "en", id="photo-caption"),
        pytest.param("Headline\n04/05/2019\n" + BODY, None, "en", id="ambiguous-numeric-without-order"),
        pytest.param("Title\nThe decree was published on Thursday, 27 July 2017, on the Kremlin site.\n" + BODY,
                     None, "en", id="published-verb-in-a-sentence"),
        pytest.param("", None, None, id="empty"),
    ],
)  # fmt: skip
def test_refuses_what_does_not_establish_a_date(text: str, url: str | None, lang: str | None) -> None:
    assert find_published(text, url, lang=lang) is None


def test_metadata_date_wins() -> None:
    found = find_published("Published 1 May 2020\n", "https://x.org/2019/01/02/a", metadata_date="2021-03-04")
    assert found is not None
    assert (found.date, found.source) == ("2021-03-04", "metadata")


def test_invalid_metadata_date_is_ignored() -> None:
    found = find_published("Published: 1 May 2020\n", None, metadata_date="sometime", lang="en")
    assert found is not None
    assert (found.date, found.source) == ("2020-05-01", "text")


def test_works_without_language() -> None:
    found = find_published("Publié le 15 février 2018\n" + BODY, None)
    assert found is not None
    assert found.date == "2018-02-15"


@pytest.mark.corpus
def test_dev_gold_precision_and_accuracy() -> None:
    wrong, predicted_on_null, correct, dated = [], [], 0, 0
    for doc in _dev_documents():
        found = find_published(doc["text"], doc.get("url"), lang=doc.get("language"))
        got = found.date if found else None
        gold = doc.get("published")
        if gold:
            dated += 1
            correct += got == gold
            if got and got != gold:
                wrong.append(doc["id"])
        elif got:
            predicted_on_null.append(doc["id"])
    assert wrong == []
    assert predicted_on_null == []
    assert correct / dated >= 0.9


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        pytest.param("Published 3 May 2004\n" + BODY, "en", "2004-05-03", id="may-early"),
        pytest.param("Published 28 May 2019\n" + BODY, "en", "2019-05-28", id="may-late"),
        pytest.param("Опубликовано 1 февраля 2020\n" + BODY, "ru", "2020-02-01", id="ru-genitive-early"),
        pytest.param("Опубликовано 29 февраля 2020\n" + BODY, "ru", "2020-02-29", id="ru-leap-day"),
    ],
)  # fmt: skip
def test_one_month_word_serves_every_day_and_year(text: str, lang: str, expected: str) -> None:
    # dateparser reads each month word once; the day and the year still come from the text.
    found = find_published(text, None, lang=lang)
    assert found is not None
    assert found.date == expected


def test_impossible_day_for_a_month_word_is_refused() -> None:
    assert find_published("Опубликовано 30 февраля 2020\n" + BODY, None, lang="ru") is None


def test_cue_opening_a_long_paragraph_counts() -> None:
    paragraph = "Published 12 March 2021 — " + "the agency said the breach was contained within hours. " * 5
    found = find_published("Headline\n" + paragraph.strip() + "\n" + BODY, None, lang="en")
    assert found is not None
    assert found.date == "2021-03-12"


def test_cue_inside_a_long_sentence_does_not_count() -> None:
    sentence = "The report, " + "widely shared among analysts, " * 5 + "was published 12 March 2021 by the agency."
    assert find_published("Headline\n" + sentence + "\n" + BODY, None, lang="en") is None


def test_cue_alone_on_its_line_takes_the_date_from_the_next_short_line() -> None:
    found = find_published("Headline\nPublished on\n12.03.2021\n" + BODY, None, lang="de")
    assert found is not None
    assert found.date == "2021-03-12"


def test_month_name_date_far_in_a_long_body_line_is_not_a_date_line() -> None:
    # A line without any four-digit run is never searched; one with a year in prose is not a date line.
    body = "Ministers met again on 4 May 2016 to discuss the budget, and no agreement was reached that day. " * 3
    assert find_published("Headline\n" + body + "\n" + BODY, None, lang="en") is None

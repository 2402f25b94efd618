from __future__ import annotations

import os
from pathlib import Path

import pytest

from cyberops.ingest.furniture import clean_text

HEADLINE = "Le Japon accuse un groupe de pirates d'espionnage industriel"
BODY = [
    "Le gouvernement japonais a accusé jeudi un groupe de pirates informatiques d'avoir dérobé des "
    "plans de fabrication à plusieurs industriels de l'automobile, selon un communiqué officiel.",
    "« Nous ne tolérerons pas ces agissements », a déclaré le porte-parole.",
    "L'ambassade mise en cause a rejeté ces accusations, qu'elle juge infondées et politiquement "
    "motivées, et a appelé Tokyo à privilégier le dialogue et la coopération entre les deux pays.",
    "Les enquêteurs estiment que l'intrusion a duré plusieurs mois.",
]
PAGE = "\n".join(
    [
        "Menu",
        "Rechercher",
        "Jeudi 4 Avril 2024",
        "Se connecter",
        "fermer",
        "Accueil > Monde",
        "",
        HEADLINE,
        "",
        BODY[0],
        "",
        f"   {HEADLINE}",
        "Une usine automobile près de Nagoya, le 2 avril. Photo: Reuters",
        "",
        BODY[1],
        "",
        "Réactions à Pékin",
        "",
        BODY[2],
        "Partager",
        "Tweeter",
        BODY[3],
        "",
        "Publicité",
        "Lire aussi",
        "Abonnez-vous à notre lettre",
        "© Le Quotidien 2024",
    ]
)


def test_headline_comes_first_then_body_paragraphs() -> None:
    cleaned = clean_text(PAGE)
    assert cleaned.title == HEADLINE
    assert cleaned.text.startswith(HEADLINE + "\n\n" + BODY[0])


def test_every_body_sentence_is_kept_including_short_quotes() -> None:
    paragraphs = clean_text(PAGE).text.split("\n\n")
    for sentence in BODY:
        assert sentence in paragraphs


def test_subheading_between_paragraphs_is_kept() -> None:
    assert "Réactions à Pékin" in clean_text(PAGE).text.split("\n\n")


@pytest.mark.parametrize(
    "furniture",
    [
        "Menu",
        "Rechercher",
        "Jeudi 4 Avril 2024",
        "Se connecter",
        "Accueil > Monde",
        "Photo: Reuters",
        "Partager",
        "Tweeter",
        "Publicité",
        "Lire aussi",
        "Abonnez-vous",
        "©",
    ],
)
def test_furniture_is_dropped(furniture: str) -> None:
    assert furniture not in clean_text(PAGE).text


def test_repeated_headline_is_dropped() -> None:
    assert clean_text(PAGE).text.count(HEADLINE) == 1


def test_single_long_sentence_paragraph_stays() -> None:
    sentence = (
        "Les autorités ont confirmé qu'une attaque informatique d'ampleur avait visé les serveurs du "
        "ministère, sans toutefois préciser qui en était l'auteur ni quelles données avaient été volées."
    )
    assert clean_text(f"Accueil\nConnexion\n\n{sentence}\n\nPartager").text == sentence


def test_paragraphs_without_final_stop_stay() -> None:
    # Some languages and sites end paragraphs without a full stop.
    lines = [
        "وقال المتحدث إن الهجوم الإلكتروني استهدف شبكات الوزارة خلال الأسبوع الماضي وفق البيان الرسمي للحكومة",
        "وأضاف أن التحقيقات لا تزال مستمرة لمعرفة الجهة التي تقف وراء الهجوم",
        "وأكد أن الخدمات عادت إلى العمل بشكل طبيعي بعد ساعات من الانقطاع",
    ]
    text = clean_text("\n".join(lines)).text
    for line in lines:
        assert line in text


def test_no_body_at_all_gives_empty_text() -> None:
    assert clean_text("Menu\nSearch\nLogin\n\n").text == ""


def test_empty_input() -> None:
    assert clean_text("") == clean_text("\n \n")
    assert clean_text("").text == ""


def _corpus() -> Path:
    repo = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("CYBEROPS_CORPUS") or repo / "../shared/corpus")


@pytest.mark.corpus
def test_seed_page_loses_its_furniture_and_keeps_its_body() -> None:
    seed = _corpus() / "dev" / "seed.txt"
    if not seed.exists():
        pytest.skip("shared corpus not available (set CYBEROPS_CORPUS)")
    raw = seed.read_text(encoding="utf-8")
    cleaned = clean_text(raw)
    assert cleaned.title == "La Chine rejette les accusations de cyberespionnage"
    kept = cleaned.text.split("\n\n")
    for furniture in (
        "Menu",
        "Search",
        "Mardi 19 Mars 2024",
        "S'abonner",
        "close",
        "Accueil next Hi-Tech",
        "Lisez nos e-Papers",
    ):
        assert furniture not in kept
    assert "Ph : AFP" not in cleaned.text
    assert cleaned.text.count(cleaned.title) == 1
    # Every body paragraph of the page: the lines that read as sentences of some length.
    body = [line.strip() for line in raw.split("\n") if len(line.split()) >= 12 and "Ph : AFP" not in line]
    assert len(body) == 6
    for paragraph in body:
        assert paragraph in kept


_LEAD = (
    "Investigators said on Monday that the intrusion into the water utility's network had been contained, "
    "and that no customer data had been taken.\n\n"
)


@pytest.mark.parametrize(
    "caption",
    [
        pytest.param("Engineers inspect the control room. Photo: Jane Doe/Wire Service", id="label-colon-near-end"),
        pytest.param("The minister arrives at the summit. (AFP)", id="agency-in-parentheses-ends-line"),
        pytest.param("The minister arrives at the summit. Reuters", id="agency-ends-line"),
        pytest.param("外交部发言人在记者会上。图片来自外交部网站", id="cjk-credit-suffix"),
    ],
)
def test_captions_with_credits_are_dropped(caption: str) -> None:
    text = clean_text(_LEAD + caption + "\n\n" + _LEAD.replace("Monday", "Tuesday")).text
    assert caption not in text


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("Officials said the attack, first reported by Reuters, had been stopped.", id="agency-mid-line"),
        pytest.param("The ministry wrote: systems were restored within the same afternoon, officials said.",
                     id="colon-far-from-end"),
    ],
)  # fmt: skip
def test_body_lines_that_only_mention_a_credit_word_stay(line: str) -> None:
    assert line in clean_text(_LEAD + line + "\n\n" + _LEAD.replace("Monday", "Tuesday")).text


@pytest.mark.parametrize(
    ("first", "again"),
    [
        pytest.param("Hackers hit the city's payroll system", "HACKERS HIT THE CITY'S PAYROLL SYSTEM!", id="ascii"),
        pytest.param("Хакеры атаковали систему выплат города", "ХАКЕРЫ атаковали систему выплат города…",
                     id="non-ascii"),
    ],
)  # fmt: skip
def test_repeat_ignores_case_and_punctuation(first: str, again: str) -> None:
    text = clean_text(f"{first}\n\n{_LEAD}{again}\n\n{_LEAD.replace('Monday', 'Tuesday')}").text
    assert again not in text
    assert text.startswith(first)


def test_headline_is_chosen_between_two_candidates_by_the_body() -> None:
    raw = (
        "Weather and traffic for the region today\n\n"
        "Ransomware halts hospital payroll systems\n\n"
        "A ransomware attack halted the payroll systems of the regional hospital, which said it would pay "
        "staff by hand this month while the halted systems were rebuilt."
    )
    assert clean_text(raw).title == "Ransomware halts hospital payroll systems"


def test_repeat_detection_works_beside_characters_outside_the_basic_plane() -> None:
    headline = "Hackers leak the city's payroll files 🔓"
    text = clean_text(f"{headline}\n\n{_LEAD}{headline.upper()}\n\n{_LEAD.replace('Monday', 'Tuesday')}").text
    assert text.count("payroll files") == 1

"""Language identification: hints, script shortcut, lingua, and the corpora."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cyberops.nlp.language import LanguageIdentifier


def _corpus() -> Path:
    default = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
    return Path(os.environ.get("CYBEROPS_CORPUS", default))


def _documents(folder: str) -> Iterator[dict]:
    files = sorted((_corpus() / folder).glob("*.jsonl"))
    if not files:
        pytest.skip(f"corpus folder {folder!r} not found (set CYBEROPS_CORPUS)")
    for path in files:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("The Kremlin denied any involvement in the hacking of the network.", "en", id="en"),
        pytest.param("Le Kremlin a démenti toute implication dans le piratage du réseau.", "fr", id="fr"),
        pytest.param("Der Kreml bestreitet jede Beteiligung an dem Hackerangriff auf das Netz.", "de", id="de"),
        pytest.param("El Kremlin negó cualquier participación en el ataque informático a la red.", "es", id="es"),
        pytest.param("Кремль отрицает причастность к хакерской атаке на сеть министерства.", "ru", id="ru"),
        pytest.param("Кремль заперечує причетність до хакерської атаки на мережу міністерства, їхні дії.", "uk",
                     id="uk-by-letters"),
        pytest.param("中国外交部发言人表示，中方坚决反对任何形式的网络攻击。", "zh", id="zh"),
        pytest.param("中国外務省の報道官は、サイバー攻撃に反対すると述べた。", "ja", id="ja-by-kana"),
        pytest.param("중국 외교부 대변인은 사이버 공격에 반대한다고 말했다.", "ko", id="ko"),
        pytest.param("نفت وزارة الخارجية الإيرانية أي تورط في الهجمات الإلكترونية على البنوك.", "ar", id="ar"),
        pytest.param("وزارت امور خارجه ایران هرگونه دخالت در حملات سایبری به بانک‌ها را رد کرد و گفت چنین چیزی", "fa",
                     id="fa-by-letters"),
        pytest.param("משרד החוץ הכחיש כל מעורבות במתקפת הסייבר על הבנקים.", "he", id="he"),
    ],
)  # fmt: skip
def test_detects_language(identifier: LanguageIdentifier, text: str, expected: str) -> None:
    assert identifier.detect(text) == expected


@pytest.mark.parametrize(
    ("hint", "expected"),
    [("fr", "fr"), ("FR", "fr"), ("pt-BR", "pt"), ("zh_Hant", "zh"), ("xx", "en"), ("english", "en"), ("", "en")],
)
def test_valid_hint_is_trusted_and_invalid_one_ignored(
    identifier: LanguageIdentifier, hint: str, expected: str
) -> None:
    assert identifier.detect("The Kremlin denied any involvement in the hacking.", hint=hint) == expected


@pytest.mark.parametrize("text", ["", "   \n ", "12345 67 -- !!"])
def test_text_without_letters_gives_none(identifier: LanguageIdentifier, text: str) -> None:
    assert identifier.detect(text) is None


def test_detector_is_built_lazily() -> None:
    identifier = LanguageIdentifier()
    assert identifier._detector is None
    identifier.detect("这是中文。")  # the script decides; lingua is not needed
    assert identifier._detector is None
    identifier.detect("This sentence is plainly written in English.")
    assert identifier._detector is not None


def test_unknown_language_code_says_how_to_fix() -> None:
    with pytest.raises(ValueError, match="ISO 639-1"):
        LanguageIdentifier(languages=("en", "qq")).detect("Plain English words here.")


@pytest.mark.corpus
@pytest.mark.parametrize(("folder", "floor"), [("dev", 0.97), ("news", 0.99)])
def test_accuracy_on_corpus(identifier: LanguageIdentifier, folder: str, floor: float) -> None:
    documents = list(_documents(folder))
    correct = sum(identifier.detect(doc["text"]) == doc["language"] for doc in documents)
    assert correct / len(documents) >= floor

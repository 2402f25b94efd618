"""The issue's walk-through on real text: the seed article (and the English dev articles beside it) go through
the real analyzer into a temporary store, and a person's path through the workbench is followed in Chromium.

Search for "Equation Group" (the seed, in French, says "groupe Equation"), open the seed article, see the
denial by CN highlighted and its evidence sentence shown; open its dossier; open the matrix and see CN and
the US in it. Screenshots go to ``test-artifacts/web/seed-*.png`` (or ``$CYBEROPS_TEST_ARTIFACTS/web``).

The seed alone puts only CN in the matrix: its counter-accusation names no state ("certains pays"), so
the US comes from the English dev articles ingested with it, as it would in any working store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import CHROMIUM, chromium, serve

from cyberops.correlate import build_dossiers
from cyberops.nlp.analyzer import Analyzer
from cyberops.pipeline import ingest_inputs
from cyberops.settings import Settings
from cyberops.store import RecordStore
from cyberops.web import WebSettings, create_app

pytestmark = [pytest.mark.browser, pytest.mark.corpus]
playwright_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
SEED_TITLE = "La Chine rejette les accusations de cyberespionnage"


def _ensure_dossiers(store: RecordStore) -> None:
    """Dossiers of everything stored, unless ingest already made them (correlation wired into ingest)."""
    if store.list_dossiers(limit=1):
        return
    records = [store.get(hit.id) for hit in store.search(limit=1000).hits]
    dossiers = build_dossiers([r for r in records if r is not None])
    store.save_dossiers(
        {"id": d.id, "key": d.key, "title": d.title, "document_ids": d.documents, "payload": d.to_dict()}
        for d in dossiers
    )


@pytest.fixture
def seed_url(tmp_path: Path, settings: Settings, analyzer: Analyzer, corpus: Path) -> Iterator[str]:
    store = RecordStore.open(f"sqlite:///{tmp_path / 'store.db'}")
    inputs = [str(corpus / "dev" / "seed.jsonl"), str(corpus / "dev" / "en.jsonl")]
    counts = ingest_inputs(inputs, store, settings, analyzer=analyzer)
    assert counts.failed == 0 and counts.stored >= 2
    _ensure_dossiers(store)
    try:
        with serve(create_app(settings, WebSettings(), store=store, analyzer=analyzer)) as url:
            yield url
    finally:
        store.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    path = Path(os.environ.get("CYBEROPS_TEST_ARTIFACTS") or REPO / "test-artifacts") / "web"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(tmp_path: Path):
    with playwright_api.sync_playwright() as playwright, chromium(playwright, tmp_path / "profile") as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors  # type: ignore[attr-defined]
        yield page


def test_seed_search_article_dossier_and_matrix(page, seed_url: str, artifacts: Path) -> None:
    page.goto(f"{seed_url}/search")
    page.fill("input[name=q]", "Equation Group")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/search?q=Equation*")
    seed_hit = page.locator(".hit", has=page.locator("a.headline", has_text=SEED_TITLE))
    assert seed_hit.count() == 1, "the French seed names the Equation Group as «groupe Equation»"
    assert "CN denies" in seed_hit.locator(".chips").inner_text()
    page.screenshot(path=str(artifacts / "seed-search.png"), full_page=True)

    seed_hit.locator("a.headline").click()
    page.wait_for_url("**/articles/seed-0001")
    denial = page.locator("#article-text a.claim.kind-denial")
    assert denial.count() >= 1
    assert "La Chine rejette les accusations" in "".join(denial.all_inner_texts())
    assert "groupe Equation" in page.locator("#article-text .ent-threat_actor").all_inner_texts()

    denial.first.click()
    detail = page.locator("#claim-detail .claim-card")
    detail.wait_for()
    assert page.url.endswith("/articles/seed-0001")  # htmx swapped the detail in place
    assert "CN denies" in detail.inner_text()
    assert "La Chine rejette les accusations de cyberespionnage" in detail.locator("blockquote.evidence").inner_text()
    assert "mitre G0020" in page.locator(".why").inner_text()
    page.screenshot(path=str(artifacts / "seed-article.png"), full_page=True)

    page.locator(".dossier-links a").first.click()
    page.wait_for_url("**/dossiers/dos-*")
    assert page.locator(".timeline .event-denial").count() >= 1
    assert "CN denies" in page.locator(".timeline .event-denial").first.inner_text()
    page.screenshot(path=str(artifacts / "seed-dossier.png"), full_page=True)

    page.click("nav >> text=Who accuses whom")
    page.wait_for_url("**/matrix")
    labels = set(page.locator("figure.matrix svg text.axis").all_text_contents())
    assert {"CN", "US"} <= labels
    page.screenshot(path=str(artifacts / "seed-matrix.png"), full_page=True)
    assert page.errors == []

"""The workbench in a real browser: Debian's Chromium driven by Playwright, the app served by uvicorn on loopback.

Screenshots of every page go to ``test-artifacts/web/`` (or ``$CYBEROPS_TEST_ARTIFACTS``) for a person to look at.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from web_builders import fill

from cyberops.nlp.analyzer import Analyzer
from cyberops.settings import Settings
from cyberops.store import RecordStore
from cyberops.web import WebSettings, create_app
from cyberops.web.tokens import create_token

CHROMIUM = Path("/usr/bin/chromium")
# Without these, Chromium reaches for a network it does not have (updates, sync, QUIC probes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def artifacts() -> Path:
    path = Path(os.environ.get("CYBEROPS_TEST_ARTIFACTS") or REPO / "test-artifacts") / "web"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    def __init__(self, url: str, store: RecordStore, dossier_ids: list[str], analyst_token: str) -> None:
        self.url = url
        self.store = store
        self.dossier_ids = dossier_ids
        self.analyst_token = analyst_token


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, settings: Settings, analyzer: Analyzer) -> Iterator[Served]:
    """The app over a filled SQLite store, served by uvicorn in a thread on a free loopback port."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'store.db'}"
    store = RecordStore.open(url)
    dossier_ids = fill(store)
    token = create_token(store.engine, "analyst")
    app = create_app(settings, WebSettings(), store=store, analyzer=analyzer)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", store, dossier_ids, token)
    server.should_exit = True
    thread.join(timeout=10)
    store.close()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory):
    with playwright_api.sync_playwright() as playwright:
        # A fresh, empty profile: nothing from a previous run, nothing to sync.
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1360, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser_context, served: Served):
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    yield page
    page.close()


def test_search_article_claim_detail_dossier_and_matrix(page, served: Served, artifacts: Path) -> None:
    page.goto(f"{served.url}/search")
    page.fill("input[name=q]", "Equation Group")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/search?q=Equation*")
    hits = page.locator(".hit")
    assert hits.count() == 1
    assert "CN denies" in hits.first.locator(".chips").inner_text()
    page.screenshot(path=str(artifacts / "search.png"), full_page=True)

    hits.first.locator("a.headline").click()
    page.wait_for_url("**/articles/web-beijing")
    denial = page.locator("#article-text a.claim.kind-denial")
    assert denial.count() >= 1
    # The sentence is cut where a name inside it is highlighted too; together the pieces are the sentence.
    assert "Hua Chunying rejected the accusations" in "".join(denial.all_inner_texts())
    assert page.locator("#article-text .ent-threat_actor").first.inner_text() == "Equation Group"

    # htmx swaps the claim's detail in place: the URL stays, the sentence appears.
    denial.first.click()
    detail = page.locator("#claim-detail .claim-card")
    detail.wait_for()
    assert page.url.endswith("/articles/web-beijing")
    assert "CN denies" in detail.inner_text()
    assert "Hua Chunying" in detail.locator(".speaker").inner_text()
    assert detail.locator("blockquote.evidence").inner_text() == (
        "Foreign ministry spokeswoman Hua Chunying rejected the accusations as groundless."
    )
    assert "mitre G0020" in page.locator(".why").inner_text()
    page.screenshot(path=str(artifacts / "article-claim.png"), full_page=True)

    page.locator(".dossier-links a").first.click()
    page.wait_for_url("**/dossiers/dos-*")
    assert page.locator(".timeline .event").count() >= 2
    assert page.locator(".timeline .event-denial").count() == 1
    assert "CN denies" in page.locator(".timeline .event-denial").inner_text()
    page.screenshot(path=str(artifacts / "dossier.png"), full_page=True)

    page.click("nav >> text=Who accuses whom")
    page.wait_for_url("**/matrix")
    labels = page.locator("figure.matrix svg text.axis").all_text_contents()
    assert {"CN", "US", "RU"} <= set(labels)
    assert page.locator("figure.matrix .cell.diagonal.level-4").count() >= 1
    assert page.locator("figure.timeline-chart rect.bar").count() >= 2
    page.screenshot(path=str(artifacts / "matrix.png"), full_page=True)
    assert page.errors == []


def test_actor_state_and_dossier_list_pages(page, served: Served, artifacts: Path) -> None:
    page.goto(f"{served.url}/actors/Fancy%20Bear")
    assert page.locator("h1").inner_text().startswith("APT28")
    assert "G0007" in page.inner_text("body")
    page.screenshot(path=str(artifacts / "actor.png"), full_page=True)
    page.goto(f"{served.url}/states/RU")
    assert "Russia" in page.locator("h1").inner_text()
    page.screenshot(path=str(artifacts / "state.png"), full_page=True)
    page.goto(f"{served.url}/dossiers")
    assert page.locator(".dossier-list li a").count() == len(served.dossier_ids)
    page.screenshot(path=str(artifacts / "dossiers.png"), full_page=True)
    page.goto(f"{served.url}/docs")
    page.locator(".swagger-ui .opblock").first.wait_for(timeout=20_000)
    page.screenshot(path=str(artifacts / "docs.png"))
    assert page.errors == []


def test_analyze_page_shows_the_record_and_saves_with_a_token(page, served: Served, artifacts: Path) -> None:
    text = (
        "Norway accuses Russia of cyberattack on parliament\n\n"
        "Norway's foreign minister said on Tuesday that Russia was behind a cyberattack on the email system "
        "of the Norwegian parliament. The Russian embassy in Oslo rejected the accusation as unfounded."
    )
    page.goto(f"{served.url}/analyze")
    page.fill("textarea[name=text]", text)
    page.click("button[type=submit]")
    result = page.locator("#analysis article.record")
    result.wait_for(timeout=120_000)
    assert page.url.endswith("/analyze")  # swapped in by htmx, no page load
    assert "Norway accuses Russia" in result.locator("h1").inner_text()
    assert result.locator(".claims .chip").count() >= 1
    page.screenshot(path=str(artifacts / "analyze.png"), full_page=True)

    page.check("input[name=save]")
    page.fill("input[name=token]", served.analyst_token)
    page.click("button[type=submit]")
    page.locator("#analysis .saved a").wait_for(timeout=120_000)
    saved_id = page.locator("#analysis .saved a").inner_text()
    assert served.store.get(saved_id) is not None
    assert page.errors == []


def test_hostile_article_stays_inert_in_the_browser(page, served: Served, artifacts: Path) -> None:
    """Markup in text, title, outlet, entity names, cues and the source URL is shown as text; nothing runs."""
    hostile = (
        "Hackers deface ministry site\n\n"
        "The defacement left <script>window.__pwned='ingested'; document.title='pwned'</script> on the page, "
        "plus <img src=x onerror=\"window.__pwned='img'\"> and a link "
        "<a href=\"javascript:window.__pwned='js'\">here</a>. Russia denied any involvement."
    )
    response = served.store.engine  # the article goes through the real API ingest path below
    assert response is not None
    page.goto(f"{served.url}/search")
    ingest = page.request.post(
        f"{served.url}/api/ingest",
        data={"documents": [{"text": hostile, "url": "https://evil.example/x"}]},
        headers={"Authorization": f"Bearer {served.analyst_token}"},
    )
    assert ingest.ok and ingest.json()["stored"] == 1
    ingested = served.store.search("defacement").hits[0].id

    for path in (f"/articles/{ingested}", "/articles/web-hostile", "/articles/web-hostile?claim=c1",
                 "/search?q=defacement", "/search?q=LockBit", "/dossiers"):  # fmt: skip
        page.goto(f"{served.url}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate("window.__pwned") is None, path
        assert page.title() != "pwned", path  # the escaped title may show the word; a script would set exactly this
        assert page.locator("script:not([src])").count() == 0, path
        assert page.locator("#article-text img, #article-text a[href^='javascript'], .hits img").count() == 0

    page.goto(f"{served.url}/articles/web-hostile")
    # The markup is visible as text, where the reader can see what the page contained.
    assert "<script>window.__pwned = 'script'" in page.locator("#article-text").inner_text()
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("a.source").count() == 0, "a javascript: source URL is not made a link"
    page.locator("#article-text a.claim").first.click()
    page.locator("#claim-detail .claim-card").wait_for()
    assert page.evaluate("window.__pwned") is None
    page.screenshot(path=str(artifacts / "hostile-article.png"), full_page=True)
    assert page.errors == []

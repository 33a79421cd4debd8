"""The web page in a real browser: Debian's chromium driven by Playwright, at phone width."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.processes import ROOT, demo_recommender, gateway_process

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
# The flags a closed network needs: no background calls home, no sandbox as root.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(demo_catalog, shipped_classifier, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Debian's chromium is not installed: `make setup-dev` installs it")
    tmp = tmp_path_factory.mktemp("browser")
    with demo_recommender(demo_catalog, shipped_classifier.address, tmp) as (service, _), \
            gateway_process(service.address, tmp) as url:
        yield url


@contextmanager
def phone_page(url: str, extra_flags: tuple[str, ...] = ()):
    """Chromium at phone width on `url`."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*FLAGS, *extra_flags])
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ko-KR")
        page = context.new_page()
        page.goto(url)
        yield page
        browser.close()


@pytest.fixture
def page(site):
    with phone_page(site) as page:
        yield page


def test_a_sentence_gets_its_emotion_chart_five_cards_and_feedback(page):
    page.fill("#mood-text", "오늘 발표 망쳐서 너무 속상해")
    page.click("#submit")
    cards = page.locator("#songs li.card")
    expect(cards).to_have_count(5, timeout=30_000)
    expect(page.locator("#emotion-bars li")).to_have_count(6)
    expect(page.locator("#emotion-title")).to_contain_text("슬픔")
    assert float(page.locator("#emotion-bars li[data-emotion=sadness] .bar").get_attribute("aria-valuenow")) > 40
    first = cards.first
    for part in (".title", ".artist", ".year", ".genre", ".highlight", ".match"):
        assert first.locator(part).inner_text().strip(), part
    first.locator(".like").click()
    expect(first.locator(".ack")).to_contain_text("고마워요")
    expect(first.locator(".like")).to_have_attribute("aria-pressed", "true")
    # Nothing overflows a phone-width screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-match.png"), full_page=True)


def test_switching_to_mood_change_gives_a_path(page):
    page.fill("#mood-text", "요즘 너무 지치고 우울해")
    page.check("input[value=regulate]")
    expect(page.locator("#target")).to_be_enabled()
    page.select_option("#target", "joy")
    page.click("#submit")
    expect(page.locator("#songs li.card")).to_have_count(5, timeout=30_000)
    expect(page.locator("#songs li.card .reason").first).to_contain_text("1/5단계")
    expect(page.locator("#songs li.card .reason").last).to_contain_text("기쁨으로")
    page.screenshot(path=str(ARTIFACTS / "page-regulate.png"), full_page=True)


def test_failures_are_shown_clearly(page):
    page.fill("#mood-text", "   ")
    page.click("#submit")
    expect(page.locator("#message")).to_be_visible()
    expect(page.locator("#message")).to_contain_text("지금 기분")
    page.fill("#mood-text", "가" * 1000 + "나")  # the textarea caps at 1000; the API would say 422 otherwise
    assert len(page.input_value("#mood-text")) == 1000


def test_markup_in_lyrics_and_titles_is_shown_as_text(demo_catalog, shipped_classifier, tmp_path):
    """A crawled lyric may legitimately contain "<script>" as text (entities decoded by the clean
    pipeline); the page must show it, never run it."""
    from services.classifier.model import EmotionModel
    from services.common.catalog import Song
    from services.common.settings import DEFAULT_MODEL_DIR

    sentence = "내일 오후 3시에 회의 있음"
    # The planted song carries exactly the sentence's emotions, so it is the first pick.
    vector = [float(p) for p in EmotionModel(DEFAULT_MODEL_DIR).predict([sentence])[0]]
    hostile = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\">"
    with demo_recommender(demo_catalog, shipped_classifier.address, tmp_path, before_start=lambda store: _plant(
            store, Song(song_id=999_001, title=f"제목 {hostile}", artists=[hostile], album="a", genres=[],
                        issue_year=2020, probabilities=vector, label="neutral",
                        highlight=f"첫 줄 {hostile}\n둘째 줄", source_url="", model_version="test"))) as (service, _), \
            gateway_process(service.address, tmp_path) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(url)
        page.fill("#mood-text", sentence)
        page.click("#submit")
        card = page.locator("#songs li.card[data-song-id='999001']")
        expect(card).to_have_count(1, timeout=30_000)
        expect(card.locator(".title")).to_have_text(f"제목 {hostile}")
        expect(card.locator(".highlight")).to_contain_text("<script>")
        assert card.locator("script, img").count() == 0  # text, not elements
        assert page.evaluate("window.__xss") is None
        browser.close()


def _plant(store_path, song):
    from services.common import catalog
    from services.common.settings import CommonSettings

    store = catalog.connect(CommonSettings(qdrant_path=store_path))
    try:
        store.upsert([song])
    finally:
        store.close()

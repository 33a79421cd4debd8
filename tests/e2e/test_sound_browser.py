"""The page's sound (issue 14) in a real browser: a card's preview plays (the gateway serves the
demo's generated clip), 이런 느낌 더 shows five other songs, instrumentals are marked."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, phone_page
from tests.support.processes import demo_recommender, gateway_process

CALM = "따뜻한 차 한잔 마시니까 마음이 편안하고 좋아"  # peace: every peaceful demo song has sound in the tests


@pytest.fixture(scope="module")
def site(demo_catalog, shipped_classifier, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Debian's chromium is not installed: `make setup-dev` installs it")
    tmp = tmp_path_factory.mktemp("sound-browser")
    with demo_recommender(demo_catalog, shipped_classifier.address, tmp) as (service, _), \
            gateway_process(service.address, tmp,
                            MOODTUNE_GATEWAY_PREVIEW_DIR=demo_catalog["sound_dir"] / "v2" / "audio") as url:
        yield url


@pytest.fixture
def page(site):
    # Headless Chromium would wait for a user gesture before playing sound; the policy flag keeps the
    # test independent of how Playwright's actions are counted.
    with phone_page(site, ("--autoplay-policy=no-user-gesture-required",)) as page:
        yield page


def test_a_preview_plays_and_more_like_this_shows_five_other_songs(page):
    page.fill("#mood-text", CALM)
    page.click("#submit")
    cards = page.locator("#songs li.card")
    expect(cards).to_have_count(5, timeout=30_000)
    card = page.locator("#songs li.card:has(audio.preview:not([hidden]))").first
    expect(card).to_be_visible()
    song_id = card.get_attribute("data-song-id")
    audio = card.locator("audio.preview")
    assert audio.get_attribute("src") == f"/v1/songs/{song_id}/preview"
    audio.evaluate("a => a.play()")
    page.wait_for_function("a => a.currentTime > 0", arg=audio.element_handle(), timeout=30_000)
    assert audio.evaluate("a => a.duration") == pytest.approx(30.0, abs=0.1)  # the whole clip, via ranges
    audio.evaluate("a => a.pause()")

    card.locator(".more-like").click()
    similar = card.locator(".similar-list li")
    expect(similar).to_have_count(5, timeout=30_000)
    ids = similar.evaluate_all("items => items.map(i => i.dataset.songId)")
    assert song_id not in ids and len(set(ids)) == 5
    assert all("멜로디가 닮았어요" in text for text in similar.all_inner_texts())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-sound.png"), full_page=True)


def test_songs_without_sound_have_no_player_and_instrumentals_are_marked(page):
    page.fill("#mood-text", "오늘 발표 망쳐서 너무 속상해 눈물만 나")
    page.click("#submit")
    expect(page.locator("#songs li.card")).to_have_count(5, timeout=30_000)
    for card in page.locator("#songs li.card").all():
        has_player = card.locator("audio.preview").is_visible()
        assert has_player == card.locator(".more-like").is_visible()
    # An instrumental, as the API describes it, rendered by the page's own card code.
    page.evaluate("""async () => {
        const song = await fetch('/v1/songs/273').then(r => r.json());
        renderSongs([{song, similarity: 0.9, reason: '멜로디가 평화로워요', matched: 'peace', aim: null}]);
    }""")
    card = page.locator("#songs li.card")
    expect(card).to_have_count(1)
    expect(card.locator(".instrumental")).to_be_visible()
    expect(card.locator(".instrumental")).to_have_text("연주곡")
    expect(card.locator(".highlight")).to_be_hidden()
    expect(card.locator("audio.preview")).to_be_visible()
    expect(card.locator(".more-like")).to_be_visible()
    # and a song with lyrics only: no badge, no player, no 이런 느낌 더
    page.evaluate("""async () => {
        const song = await fetch('/v1/songs/30').then(r => r.json());
        renderSongs([{song, similarity: 0.9, reason: '슬픔이 닮았어요', matched: 'sadness', aim: null}]);
    }""")
    for part in (".instrumental", "audio.preview", ".more-like"):
        expect(page.locator("#songs li.card " + part)).to_be_hidden()

"""The page's microphone in a real Chromium with a fake microphone that plays a WAV file: the
button, the recording state with its timer, stop, the transcript in the text box, five cards; and
the Korean messages for a denied microphone and for silence."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, FLAGS
from tests.support import speech_audio
from tests.support.processes import demo_recommender, gateway_process
from tests.support.speech_audio import HEARD


@pytest.fixture(scope="module")
def speech_site(demo_catalog, shipped_classifier, shipped_speech, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("speech-browser")
    with demo_recommender(demo_catalog, shipped_classifier.address, tmp,
                          MOODTUNE_SPEECH_ADDR=shipped_speech.address) as (service, _), \
            gateway_process(service.address, tmp) as url:
        yield url, tmp


def microphone_file(tmp, name: str, samples: np.ndarray) -> str:
    """Chromium's fake microphone loops this file from the moment the page asks for the microphone."""
    path = tmp / name
    path.write_bytes(speech_audio.wav_16k(samples))
    return str(path)


def spoken_16k() -> np.ndarray:
    samples, rate = speech_audio.samples_of(speech_audio.espeak_wav(HEARD[0], HEARD[1]))
    samples = speech_audio.padded(samples, rate, before_s=0.2, after_s=1.5)
    return np.interp(np.arange(0, len(samples), rate / 16_000), np.arange(len(samples)), samples)


def open_page(playwright, url: str, flags: list[str]):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*FLAGS, *flags])
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="ko-KR").new_page()
    page.goto(url)
    return browser, page


def test_speaking_fills_the_text_box_and_brings_five_songs(speech_site):
    url, tmp = speech_site
    wav = microphone_file(tmp, "speech.wav", spoken_16k())
    with sync_playwright() as playwright:
        browser, page = open_page(playwright, url, ["--use-fake-ui-for-media-stream",
                                                    "--use-fake-device-for-media-stream",
                                                    f"--use-file-for-fake-audio-capture={wav}"])
        try:
            expect(page.locator("#recording")).to_be_hidden()
            page.click("#mic")
            expect(page.locator("#recording")).to_be_visible()
            expect(page.locator("#mic")).to_be_hidden()
            # The timer runs: once it says 4 s, the loop has played the sentence at least once whole.
            expect(page.locator("#rec-timer")).to_have_text("0:04", timeout=15_000)
            page.click("#mic-stop")
            expect(page.locator("#recording")).to_be_hidden()
            expect(page.locator("#songs li.card")).to_have_count(5, timeout=60_000)
            # Chromium's fake device resamples and loops the file from wherever it is: the words heard
            # vary (README, "Speech"), but there are words, cleaned, in the box.
            transcript = page.input_value("#mood-text")
            assert transcript.strip() and "[" not in transcript
            expect(page.locator("#emotion-bars li")).to_have_count(6)
            expect(page.locator("#message")).to_be_hidden()
            # The transcript is editable, and an edited sentence brings its own songs.
            page.fill("#mood-text", "오늘 발표 망쳐서 너무 속상해")
            page.click("#submit")
            expect(page.locator("#emotion-title")).to_contain_text("슬픔", timeout=30_000)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "page-speech.png"), full_page=True)
        finally:
            browser.close()


def test_silence_says_nothing_was_heard(speech_site):
    url, tmp = speech_site
    wav = microphone_file(tmp, "silence.wav", np.zeros(16_000 * 3, np.float32))
    with sync_playwright() as playwright:
        browser, page = open_page(playwright, url, ["--use-fake-ui-for-media-stream",
                                                    "--use-fake-device-for-media-stream",
                                                    f"--use-file-for-fake-audio-capture={wav}"])
        try:
            page.click("#mic")
            expect(page.locator("#rec-timer")).to_have_text("0:02", timeout=15_000)
            page.click("#mic-stop")
            expect(page.locator("#message")).to_contain_text("말소리가 들리지 않았어요", timeout=60_000)
            expect(page.locator("#songs li.card")).to_have_count(0)
            assert page.input_value("#mood-text") == ""
        finally:
            browser.close()


def test_a_denied_microphone_is_explained_in_korean(speech_site):
    url, _ = speech_site
    with sync_playwright() as playwright:
        browser, page = open_page(playwright, url, ["--use-fake-device-for-media-stream", "--deny-permission-prompts"])
        try:
            page.click("#mic")
            expect(page.locator("#message")).to_contain_text("마이크 권한을 허용해 주세요", timeout=15_000)
            expect(page.locator("#recording")).to_be_hidden()
            expect(page.locator("#mic")).to_be_visible()
        finally:
            browser.close()

"""A real crawl of the demo mirror on loopback: the real spider, the real classifier service with
the shipped model, qdrant-client's local mode and a real redis-server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import redis

from services.common import catalog, catalog_version
from services.common.labels import EMOTIONS, INDEX
from services.common.settings import DEFAULT_MODEL_DIR, CommonSettings
from services.ingest.demo import INTENDED, LYRICS
from tests.support.redis_server import redis_server

MOODTUNE = str(Path(sys.executable).parent / "moodtune")
INTENDED_EMOTION = {int(k): v for k, v in (l.split("\t") for l in INTENDED.read_text().splitlines()[1:])}
MODEL_VERSION = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text())["version"]


def stored_songs(path: Path) -> dict:
    store = catalog.connect(CommonSettings(qdrant_path=path))
    try:
        return {s.song_id: s for s in store.retrieve(list(INTENDED_EMOTION))}, store.count()
    finally:
        store.close()


@pytest.fixture(scope="module")
def songs(demo_catalog):
    found, count = stored_songs(demo_catalog["qdrant"])
    assert count == len(found)
    return found


def test_every_song_with_lyrics_is_stored_with_the_full_payload(songs):
    assert set(songs) == set(INTENDED_EMOTION)  # every song with lyrics, nothing else
    lyrics = json.loads(LYRICS.read_text(encoding="utf-8"))
    for song_id, song in songs.items():
        assert song.title and song.artists and song.album and song.issue_year
        assert song.genres and all(g.code.startswith("GN") and g.name for g in song.genres)
        assert song.melon_song_id and f"songId={song.melon_song_id}" in song.source_url
        assert song.model_version == MODEL_VERSION and song.ingested_at
        assert song.label == EMOTIONS[int(np.argmax(song.probabilities))]
        assert sum(song.probabilities) == pytest.approx(1.0, abs=1e-5)
        assert song.highlight and all(line in lyrics[str(song_id)] for line in song.highlight.split("\n"))


def test_report_counts_the_broken_pages_and_skips(demo_catalog):
    report = demo_catalog["report"]
    assert report["seen"] == 280 and report["stored"] == 272 and report["unaccounted"] == 0
    assert report["skipped"] == {"instrumental genre": 1, "instrumental or spoken title": 2, "no lyrics": 2}
    assert report["failed"] == {"malformed page": 1, "not on its album page": 1, "song page HTTP 404": 1}
    assert "ingest report: seen 280 · stored 272" in demo_catalog["run"].stderr


def test_a_second_run_overwrites_and_bumps_the_catalog_version(demo_catalog, copy_of_demo_store, tmp_path,
                                                               shipped_classifier):
    with redis_server(tmp_path / "redis") as (redis_url, _):
        env = {**os.environ, "MOODTUNE_CLASSIFIER_ADDR": shipped_classifier.address,
               "MOODTUNE_QDRANT_PATH": str(copy_of_demo_store), "MOODTUNE_REDIS_URL": redis_url}
        again = subprocess.run([MOODTUNE, "ingest", "--demo", "--fresh", "--job-dir", str(tmp_path / "job")],
                               env=env, capture_output=True, text=True, timeout=900)
        version = redis.Redis.from_url(redis_url).get(catalog_version.KEY)
    assert again.returncode == 0, again.stderr[-3000:]
    found, count = stored_songs(copy_of_demo_store)
    assert count == 272 and len(found) == 272
    assert int(version) == 2  # once for the songs, once for the demo playlists' taste and moods


def test_resuming_with_the_same_job_dir_skips_what_is_done(demo_catalog, copy_of_demo_store, shipped_classifier,
                                                           tmp_path):
    import shutil

    job = tmp_path / "job"
    shutil.copytree(demo_catalog["job"], job)
    env = {**os.environ, "MOODTUNE_CLASSIFIER_ADDR": shipped_classifier.address,
           "MOODTUNE_QDRANT_PATH": str(copy_of_demo_store), "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0"}
    resumed = subprocess.run([MOODTUNE, "ingest", "--demo", "--job-dir", str(job)], env=env,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    report = json.loads((job / "report.json").read_text())
    assert report["already_done"] == 277 and report["stored"] == 0 and report["unaccounted"] == 0
    assert sum(report["failed"].values()) == 3  # the broken pages are tried again, and fail again


def test_labelled_catalog_agrees_with_the_intended_emotions(songs):
    confusion = np.zeros((6, 6), dtype=int)
    for song_id, intended in INTENDED_EMOTION.items():
        confusion[INDEX[intended], INDEX[songs[song_id].label]] += 1
    agreement = np.trace(confusion) / confusion.sum()
    print(f"\ndemo catalog: {agreement:.1%} of {confusion.sum()} songs labelled with their intended emotion")
    print("rows intended, columns labelled:", " ".join(f"{e[:4]:>5}" for e in EMOTIONS))
    for emotion, row in zip(EMOTIONS, confusion):
        print(f"{emotion:>9}", " ".join(f"{n:5d}" for n in row))
    assert agreement >= 0.80


def test_progress_of_a_catalog_that_is_gone_is_not_trusted(tiny_model_dir, tmp_path):
    """Deleting the store and running again with the same job directory crawls everything again."""
    import shutil

    env = {**os.environ, "MOODTUNE_MODEL_DIR": str(tiny_model_dir), "MOODTUNE_QDRANT_PATH": str(tmp_path / "q"),
           "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0"}
    env.pop("MOODTUNE_CLASSIFIER_ADDR", None)
    run = lambda: subprocess.run([MOODTUNE, "ingest", "--demo", "--job-dir", str(tmp_path / "job")], env=env,
                                 capture_output=True, text=True, timeout=300)
    assert run().returncode == 0
    shutil.rmtree(tmp_path / "q")
    again = run()
    assert again.returncode == 0, again.stderr[-2000:]
    assert "belongs to a catalog that is empty now" in again.stderr
    assert json.loads((tmp_path / "job" / "report.json").read_text())["stored"] == 272

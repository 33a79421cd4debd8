"""A real crawl of the demo mirror on loopback: the real spider, the real classifier service with
the shipped model, qdrant-client's local mode and a real redis-server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import redis

from services.common import catalog, catalog_version
from services.common.labels import EMOTIONS, INDEX
from services.common.settings import DEFAULT_MODEL_DIR, CommonSettings
from services.ingest.demo import INTENDED, LYRICS
from tests.support.processes import classifier_service
from tests.support.redis_server import redis_server

MOODTUNE = str(Path(sys.executable).parent / "moodtune")
INTENDED_EMOTION = {int(k): v for k, v in (l.split("\t") for l in INTENDED.read_text().splitlines()[1:])}
MODEL_VERSION = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text())["version"]


def ingest(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MOODTUNE, "ingest", "--demo", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ingest")
    with redis_server(tmp / "redis") as (redis_url, _), classifier_service(DEFAULT_MODEL_DIR, tmp) as service:
        env = {"MOODTUNE_CLASSIFIER_ADDR": service.address, "MOODTUNE_QDRANT_PATH": str(tmp / "qdrant"),
               "MOODTUNE_REDIS_URL": redis_url}
        first = ingest(env, "--job-dir", str(tmp / "job"))
        store = catalog.connect(CommonSettings(qdrant_path=tmp / "qdrant"))
        songs = {s.song_id: s for s in catalog.get(store, list(INTENDED_EMOTION))}
        count_after_first = catalog.count(store)
        store.close()
        second = ingest(env, "--job-dir", str(tmp / "job"), "--fresh")
        store = catalog.connect(CommonSettings(qdrant_path=tmp / "qdrant"))
        count_after_second = catalog.count(store)
        store.close()
        version = int(redis.Redis.from_url(redis_url).get(catalog_version.KEY))
    return {"first": first, "second": second, "songs": songs, "counts": (count_after_first, count_after_second),
            "version": version, "job": tmp / "job"}


def test_every_song_with_lyrics_is_stored_with_the_full_payload(crawled):
    assert crawled["first"].returncode == 0, crawled["first"].stderr[-3000:]
    songs = crawled["songs"]
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


def test_report_counts_the_broken_pages_and_skips(crawled):
    report = json.loads((crawled["job"] / "report.json").read_text())
    assert report["seen"] == 280 and report["stored"] == 272 and report["unaccounted"] == 0
    assert report["skipped"] == {"instrumental genre": 1, "instrumental or spoken title": 2, "no lyrics": 2}
    assert report["failed"] == {"malformed page": 1, "not on its album page": 1, "song page HTTP 404": 1}
    assert "ingest report: seen 280 · stored 272" in crawled["first"].stderr


def test_a_second_run_overwrites_instead_of_duplicating(crawled):
    assert crawled["second"].returncode == 0, crawled["second"].stderr[-3000:]
    assert crawled["counts"] == (272, 272)
    assert crawled["version"] == 2  # each run that wrote bumped the catalog version


def test_labelled_catalog_agrees_with_the_intended_emotions(crawled):
    songs = crawled["songs"]
    confusion = np.zeros((6, 6), dtype=int)
    for song_id, intended in INTENDED_EMOTION.items():
        confusion[INDEX[intended], INDEX[songs[song_id].label]] += 1
    agreement = np.trace(confusion) / confusion.sum()
    print(f"\ndemo catalog: {agreement:.1%} of {confusion.sum()} songs labelled with their intended emotion")
    print("rows intended, columns labelled:", " ".join(f"{e[:4]:>5}" for e in EMOTIONS))
    for emotion, row in zip(EMOTIONS, confusion):
        print(f"{emotion:>9}", " ".join(f"{n:5d}" for n in row))
    assert agreement >= 0.80

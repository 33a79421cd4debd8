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
from services.common.settings import DEFAULT_AUDIO_MODEL_DIR, DEFAULT_MODEL_DIR, CommonSettings
from services.ingest.demo import INSTRUMENTAL, INTENDED, LYRICS
from tests.support.demo_sound import SUBSET
from tests.support.redis_server import redis_server

MOODTUNE = str(Path(sys.executable).parent / "moodtune")
INTENDED_EMOTION = {int(k): v for k, v in (l.split("\t") for l in INTENDED.read_text().splitlines()[1:])}
SOUND_ONLY = {int(k): v for k, v in (l.split("\t") for l in INSTRUMENTAL.read_text().splitlines()[1:])}
MODEL_VERSION = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text())["version"]
AUDIO_MODEL_VERSION = json.loads((DEFAULT_AUDIO_MODEL_DIR / "model.json").read_text())["version"]


def stored_songs(path: Path) -> dict:
    store = catalog.connect(CommonSettings(qdrant_path=path))
    try:
        return {s.song_id: s for s in store.retrieve(list(INTENDED_EMOTION) + list(SOUND_ONLY))}, store.count()
    finally:
        store.close()


@pytest.fixture(scope="module")
def songs(demo_catalog):
    found, count = stored_songs(demo_catalog["qdrant"])
    assert count == len(found)
    return found


def test_every_song_with_lyrics_is_stored_with_the_full_payload(songs):
    assert set(songs) == set(INTENDED_EMOTION) | set(SOUND_ONLY)  # every song with lyrics or sound
    lyrics = json.loads(LYRICS.read_text(encoding="utf-8"))
    for song_id, song in songs.items():
        if song_id in SOUND_ONLY:
            continue
        assert song.title and song.artists and song.album and song.issue_year
        assert song.genres and all(g.code.startswith("GN") and g.name for g in song.genres)
        assert song.melon_song_id and f"songId={song.melon_song_id}" in song.source_url
        assert song.model_version == MODEL_VERSION and song.ingested_at
        assert song.label == EMOTIONS[int(np.argmax(song.probabilities))]
        assert sum(song.probabilities) == pytest.approx(1.0, abs=1e-5)
        assert song.highlight and all(line in lyrics[str(song_id)] for line in song.highlight.split("\n"))


def test_report_counts_the_broken_pages_and_skips(demo_catalog):
    report = demo_catalog["report"]
    assert report["seen"] == 280 and report["stored"] == 277 and report["unaccounted"] == 0
    assert report["skipped"] == {}  # the five songs without lyrics have sound here
    assert report["failed"] == {"malformed page": 1, "not on its album page": 1, "song page HTTP 404": 1}
    assert report["signals"] == {"with lyrics": 272, "with sound": len(SUBSET), "with both": len(SUBSET) - 5,
                                 "neither": 0}
    assert report["sound_failed"] == {"missing file": 272 - (len(SUBSET) - 5)}  # the songs outside the subset
    assert "ingest report: seen 280 · stored 277" in demo_catalog["run"].stderr
    assert f"with lyrics 272, with sound {len(SUBSET)}, with both {len(SUBSET) - 5}, neither 0" in demo_catalog["run"].stderr


def test_each_song_carries_the_vectors_of_its_signals(demo_catalog, copy_of_demo_store):
    store = catalog.connect(CommonSettings(qdrant_path=copy_of_demo_store))
    try:
        points = {p.id: p for p in store.retrieve_points(list(INTENDED_EMOTION) + list(SOUND_ONLY))}
    finally:
        store.close()
    weight = 0.3  # MOODTUNE_FUSION_AUDIO_WEIGHT's default
    for song_id, point in points.items():
        names = set(point.vectors) - {"taste"}  # taste: from the demo's playlists, loaded after the songs
        signals = point.payload["signals"]
        if song_id in SOUND_ONLY:  # instrumental, spoken, never written: in on their sound alone
            assert names == {"emotion", "audio_emotion", "audio"} and set(signals) == {"sound"}
            assert np.allclose(point.vectors["emotion"], point.vectors["audio_emotion"], atol=1e-6)
            assert point.payload["highlight"] == "" and point.payload["preview"] is True
        elif song_id in SUBSET:
            assert names == {"emotion", "lyrics", "audio_emotion", "audio"} and set(signals) == {"lyrics", "sound"}
            lyrics, sound = (np.asarray(point.vectors[n]) for n in ("lyrics", "audio_emotion"))
            fused = (1 - weight) * lyrics / lyrics.sum() + weight * sound / sound.sum()
            emotion = np.asarray(point.vectors["emotion"])
            assert np.allclose(emotion / np.linalg.norm(emotion), fused / np.linalg.norm(fused), atol=1e-5)
        else:
            assert names == {"emotion", "lyrics"} and set(signals) == {"lyrics"}
            assert point.payload["audio_model_version"] == "" and point.payload["preview"] is False
        if "sound" in signals:
            assert len(point.vectors["audio"]) == 512
            assert np.linalg.norm(point.vectors["audio"]) == pytest.approx(1.0, abs=1e-4)
            assert point.payload["audio_model_version"] == AUDIO_MODEL_VERSION
        assert point.payload["label"] == EMOTIONS[int(np.argmax(point.vectors["emotion"]))]
        assert all(label in EMOTIONS for label in signals.values())


def test_a_second_run_overwrites_and_bumps_the_catalog_version(demo_catalog, copy_of_demo_store, tmp_path,
                                                               shipped_classifier):
    with redis_server(tmp_path / "redis") as (redis_url, _):
        env = {**os.environ, "MOODTUNE_CLASSIFIER_ADDR": shipped_classifier.address,
               "MOODTUNE_QDRANT_PATH": str(copy_of_demo_store), "MOODTUNE_REDIS_URL": redis_url}
        again = subprocess.run([MOODTUNE, "ingest", "--demo", "--fresh", "--job-dir", str(tmp_path / "job")],
                               env={**env, **demo_catalog["sound_env"]}, capture_output=True, text=True, timeout=900)
        version = redis.Redis.from_url(redis_url).get(catalog_version.KEY)
    assert again.returncode == 0, again.stderr[-3000:]
    found, count = stored_songs(copy_of_demo_store)
    assert count == 277 and len(found) == 277  # no count changes
    assert json.loads((tmp_path / "job" / "report.json").read_text())["signals"] == demo_catalog["report"]["signals"]
    assert int(version) == 2  # once for the songs, once for the demo playlists' taste and moods


def test_resuming_with_the_same_job_dir_skips_what_is_done(demo_catalog, copy_of_demo_store, shipped_classifier,
                                                           tmp_path):
    import shutil

    job = tmp_path / "job"
    shutil.copytree(demo_catalog["job"], job)
    env = {**os.environ, "MOODTUNE_CLASSIFIER_ADDR": shipped_classifier.address,
           "MOODTUNE_QDRANT_PATH": str(copy_of_demo_store), "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0"}
    resumed = subprocess.run([MOODTUNE, "ingest", "--demo", "--job-dir", str(job)], env={**env, **demo_catalog["sound_env"]},
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    report = json.loads((job / "report.json").read_text())
    assert report["already_done"] == 277 and report["stored"] == 0 and report["unaccounted"] == 0
    assert sum(report["failed"].values()) == 3  # the broken pages are tried again, and fail again


def test_labelled_catalog_agrees_with_the_intended_emotions(songs):
    confusion = np.zeros((6, 6), dtype=int)
    for song_id, intended in INTENDED_EMOTION.items():
        confusion[INDEX[intended], INDEX[songs[song_id].signals.get("lyrics", songs[song_id].label)]] += 1
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


def _ingest(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MOODTUNE, "ingest", "--demo", *args], env=env, capture_output=True, text=True, timeout=600)


def _in_process_env(tiny_model_dir, tmp_path) -> dict:
    env = {**os.environ, "MOODTUNE_MODEL_DIR": str(tiny_model_dir), "MOODTUNE_QDRANT_PATH": str(tmp_path / "q"),
           "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0"}
    env.pop("MOODTUNE_CLASSIFIER_ADDR", None)
    return env


@pytest.mark.slow
def test_mels_in_kakao_layout_with_every_kind_of_bad_file(demo_catalog, tiny_model_dir, tmp_path):
    """--mels DIR: a good mel, a wrong shape, a file that is no .npy, a too-short mel, and missing files."""
    mels = tmp_path / "mels" / "0"
    mels.mkdir(parents=True)
    good = np.load(demo_catalog["sound_dir"] / "v2" / "mels" / "0" / "1.npy")
    np.save(mels / "1.npy", good)
    np.save(mels / "2.npy", np.zeros((10, 100), np.float16))
    (mels / "3.npy").write_bytes(b"not a numpy file")
    np.save(mels / "273.npy", good[:, :50])  # under 2 s, and the song has no lyrics to fall back on
    np.save(mels / "274.npy", good)
    run = _ingest(_in_process_env(tiny_model_dir, tmp_path), "--mels", str(tmp_path / "mels"),
                  "--job-dir", str(tmp_path / "job"))
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads((tmp_path / "job" / "report.json").read_text())
    assert report["sound_failed"] == {"bad shape": 1, "missing file": 269, "too short": 1, "unreadable file": 1}
    assert report["failed"]["sound: too short"] == 1  # 273: nothing else to store it by
    assert report["signals"] == {"with lyrics": 272, "with sound": 2, "with both": 1, "neither": 3}
    assert report["stored"] == 273  # 272 with lyrics (2 and 3 on lyrics alone) + 274 on its sound
    assert "sound unusable bad shape 1, missing file 269, too short 1, unreadable file 1" in run.stderr
    found, _ = stored_songs(tmp_path / "q")
    assert set(found[1].signals) == {"lyrics", "sound"} and set(found[2].signals) == {"lyrics"}
    assert set(found[274].signals) == {"sound"} and 273 not in found
    assert found[274].preview is False  # someone else's mels: nothing for the page to play


@pytest.mark.slow
def test_audio_files_by_song_id_in_one_shard(demo_catalog, tiny_model_dir, tmp_path):
    """--audio DIR through the front end, and --shard 3/4: only ids = 3 (mod 4)."""
    audio = tmp_path / "audio"
    audio.mkdir()
    clips = demo_catalog["sound_dir"] / "v2" / "audio"
    (audio / "3.flac").write_bytes((clips / "3.flac").read_bytes())
    (audio / "275.flac").write_bytes((clips / "275.flac").read_bytes())
    (audio / "7.mp3").write_bytes(b"\xff\xfb" + b"not really an mp3" * 50)
    (audio / "4.flac").write_bytes((clips / "4.flac").read_bytes())  # another shard's
    run = _ingest(_in_process_env(tiny_model_dir, tmp_path), "--audio", str(audio), "--shard", "3/4",
                  "--job-dir", str(tmp_path / "job"))
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads((tmp_path / "job" / "report.json").read_text())
    assert report["seen"] == 70 and report["unaccounted"] == 0
    assert report["sound_failed"]["undecodable audio"] == 1 and report["sound_failed"]["missing file"] > 60
    assert report["signals"]["with sound"] == 2 and report["signals"]["with both"] == 1
    found, count = stored_songs(tmp_path / "q")
    assert all(song_id % 4 == 3 for song_id in found) and count == len(found)
    assert set(found[275].signals) == {"sound"} and set(found[3].signals) == {"lyrics", "sound"}
    assert set(found[7].signals) == {"lyrics"}


def test_bad_sound_options_are_refused_clearly(tmp_path):
    env = {**os.environ, "MOODTUNE_QDRANT_PATH": str(tmp_path / "q")}
    for args, message in ((["--shard", "4/4"], "I must be within 0..N-1"), (["--shard", "x"], "expected I/N"),
                          (["--mels", str(tmp_path / "none")], "no such directory")):
        run = _ingest(env, *args)
        assert run.returncode != 0 and message in run.stderr, (args, run.stderr[-500:])


def test_a_classifier_without_an_audio_model_costs_the_sound_only(demo_catalog, tiny_model_dir, tmp_path):
    mels = tmp_path / "mels" / "0"
    mels.mkdir(parents=True)
    good = np.load(demo_catalog["sound_dir"] / "v2" / "mels" / "0" / "1.npy")
    for song_id in (1, 273):
        np.save(mels / f"{song_id}.npy", good)
    env = {**_in_process_env(tiny_model_dir, tmp_path), "MOODTUNE_AUDIO_MODEL_DIR": ""}
    run = _ingest(env, "--mels", str(tmp_path / "mels"), "--job-dir", str(tmp_path / "job"))
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads((tmp_path / "job" / "report.json").read_text())
    assert report["sound_failed"]["no audio model"] == 2 and report["failed"]["sound: no audio model"] == 1
    assert report["stored"] == 272 and report["signals"]["with sound"] == 0

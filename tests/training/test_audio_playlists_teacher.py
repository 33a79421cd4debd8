"""`make audio-model PLAYLISTS=train.json`: songs without a lyrics vector learn their playlists' curated mood."""

from __future__ import annotations

import json

from tests.support.tiny_audio import synthetic_catalog
from training.audio.build import main


def test_audio_build_takes_curated_moods_for_songs_without_lyrics(tmp_path):
    data = synthetic_catalog(tmp_path / "data")
    teacher = json.loads(data["teacher"].read_text())
    for song_id in ("1", "2", "3", "4"):  # as if these songs had no lyrics
        del teacher[song_id]
    data["teacher"].write_text(json.dumps(teacher))
    playlists = tmp_path / "train.json"
    playlists.write_text(json.dumps([{"id": i, "plylst_title": "잠들기 전 듣는 잔잔한 노래", "tags": ["힐링"],
                                      "songs": [1, 2, 3, 5], "like_cnt": 1} for i in range(3)], ensure_ascii=False))
    out = tmp_path / "model"
    code = main(["--mels", str(data["mels"]), "--songs", str(data["songs"]), "--teacher", str(data["teacher"]),
                 "--playlists", str(playlists), "--labels", str(data["labels"]), "--out", str(out),
                 "--epochs", "1", "--width", "4", "--work", str(tmp_path / "work"), "--version", "tiny-playlists",
                 "--device", "cpu"])
    assert code == 0
    card = json.loads((out / "model.json").read_text())
    assert any("curated playlist moods of 3 songs without lyrics" in line for line in card["trained_on"])
    merged = json.loads(next((tmp_path / "work").glob("teacher-curated-*.json")).read_text())
    assert set(merged) == set(teacher) | {"1", "2", "3"} and merged["5"] == teacher["5"]

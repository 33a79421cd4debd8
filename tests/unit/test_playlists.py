"""Kakao Arena playlists: the streaming loader, the demo's fictional playlists, taste factors and
their Arena-style evaluation against popularity, curated moods."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from services.common.labels import EMOTIONS, INDEX
from services.ingest import arena_playlists, curated
from services.ingest.arena_playlists import PlaylistFileError, PlaylistMatrix, ReadReport, read_playlists
from services.ingest.demo import PLAYLISTS, SONG_META
from services.ingest.demo.make_playlists import NEW_FROM_YEAR, make_playlists
from services.ingest.taste import evaluate, fit_taste, ndcg_recall


def write(tmp_path, text: str, name: str = "train.json"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_are_streamed_across_buffer_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(arena_playlists, "_CHUNK", 7)  # every row, number and string straddles a boundary
    rows = [{"id": i, "plylst_title": f"비 오는 날 {i}", "tags": ["잔잔한"], "songs": [i, 123456789 + i, i],
             "like_cnt": i * 1000, "updt_date": "2020-01-01 00:00:00.000"} for i in range(1, 40)]
    path = write(tmp_path, json.dumps(rows, ensure_ascii=False, indent=2))
    read = list(read_playlists([path]))
    assert [p.id for p in read] == list(range(1, 40))
    assert read[5].songs == (6, 123456795)  # duplicates removed, order kept
    assert read[5].like_cnt == 6000 and read[5].text == "비 오는 날 6 #잔잔한"


def test_malformed_rows_are_counted_with_file_and_row_and_skipped(tmp_path):
    path = write(tmp_path, '[{"id": 1, "songs": [1, 2]}, {"id": "x", "songs": []}, 5, {"id": 1, "songs": []},'
                           ' {"id": 3, "songs": [true]}, {"id": 4, "songs": [4], "tags": "잔잔한"},'
                           ' {"id": 7, "plylst_title": "", "tags": [], "songs": []}]')
    report = ReadReport()
    read = list(read_playlists([path], report))
    assert [p.id for p in read] == [1, 7]
    assert (report.rows, report.playlists, report.malformed, report.duplicate_ids) == (7, 2, 4, 1)
    assert report.errors[0] == f"{path}:row 2: id must be a non-negative integer, not 'x'"
    assert report.errors[1] == f"{path}:row 3: a playlist is an object, not int"
    assert "row 5: a song id must be a non-negative integer" in report.errors[2]
    assert "row 6: tags must be a list of strings" in report.errors[3]


@pytest.mark.parametrize("text, message", [
    ('{"id": 1}', "not a Kakao Arena playlist file"),
    ('[{"id": 1, "songs": [1]}, {"id": 2, "songs": [1,]}]', "row 2 (offset 48): broken JSON: Expecting value"),
    ('[{"id": 1, "songs": [1]} {"id": 2}]', "row 2 (offset 25): expected ',' or ']'"),
    ('[{"id": 1, "songs": [1]},', "row 2"),
])
def test_a_broken_file_stops_with_the_file_and_row(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(PlaylistFileError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        list(read_playlists([path]))
    assert str(path) in str(error.value)
    with pytest.raises(PlaylistFileError, match="no such file"):
        list(read_playlists([tmp_path / "missing.json"]))


def test_songs_not_in_the_catalog_are_counted_not_fatal(tmp_path):
    path = write(tmp_path, '[{"id": 1, "songs": [1, 2, 99]}, {"id": 2, "songs": [99, 1]}]')
    matrix = PlaylistMatrix.read([path], in_catalog=lambda ids: ids < 50)
    assert len(matrix) == 2 and list(matrix.songs_of(1)) == [99, 1]
    r = matrix.report
    assert (r.song_entries, r.distinct_songs, r.songs_not_in_catalog, r.entries_not_in_catalog) == (5, 3, 1, 2)


def test_the_committed_demo_playlists_are_what_the_generator_writes():
    committed = json.loads(PLAYLISTS.read_text(encoding="utf-8"))
    assert committed == make_playlists()  # deterministic: `python -m services.ingest.demo.make_playlists`
    assert 300 <= len(committed) <= 500
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in p["plylst_title"]) for p in committed)  # Korean titles
    meta = {s["id"]: s for s in json.loads(SONG_META.read_text())}
    in_playlists = Counter(s for p in committed for s in p["songs"])
    new = {i for i, s in meta.items() if int(s["issue_date"][:4]) >= NEW_FROM_YEAR}
    assert new and not new & set(in_playlists)  # the new songs are in no playlist: emotion only
    assert len(in_playlists) >= 0.9 * (len(meta) - len(new))


def test_ndcg_and_recall_at_k():
    ranked = np.array([5, 1, 7, 2, 9])
    ndcg, recall = ndcg_recall(ranked, np.array([1, 2, 3]), k=5)
    ideal = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert ndcg == pytest.approx((1 / np.log2(3) + 1 / np.log2(5)) / ideal)
    assert recall == pytest.approx(2 / 3)
    assert ndcg_recall(np.array([1, 2, 3]), np.array([1, 2, 3]), k=3) == pytest.approx((1.0, 1.0))


@pytest.fixture(scope="module")
def demo_matrix():
    return PlaylistMatrix.read([PLAYLISTS])


def test_taste_beats_popularity_on_the_held_out_demo_songs(demo_matrix):
    result = evaluate(demo_matrix)
    print(f"\nArena-style on the demo playlists ({result.test_playlists} test playlists, "
          f"{result.held_out_songs} held-out songs):")
    for name, scores in (("taste (ALS)", result.taste), ("taste, like-weighted", result.taste_like_weighted),
                         ("popularity", result.popularity)):
        print(f"  {name:22s} nDCG@100 {scores.ndcg_100:.3f}  recall@100 {scores.recall_100:.3f}  "
              f"nDCG@10 {scores.ndcg_10:.3f}  recall@10 {scores.recall_10:.3f}")
    assert result.test_playlists >= 50
    assert result.taste.ndcg_100 > result.popularity.ndcg_100 + 0.1
    assert result.taste.recall_100 > result.popularity.recall_100
    assert result.taste.ndcg_10 > result.popularity.ndcg_10


def test_taste_vectors_are_unit_and_deterministic(demo_matrix):
    a, b = fit_taste(demo_matrix, 16), fit_taste(demo_matrix, 16)
    assert a.vectors.shape == (len(np.unique(demo_matrix.song_ids)), 16)
    assert np.allclose(np.linalg.norm(a.vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(a.vectors, b.vectors) and np.array_equal(a.song_ids, b.song_ids)
    found, rows = a.lookup(np.array([a.song_ids[3], 10**9]))
    assert list(found) == [True, False] and list(rows) == [3]
    assert a.playlists.sum() == len(demo_matrix.song_ids)


def test_curated_mood_is_the_feeling_and_like_weighted_mean(tmp_path):
    path = write(tmp_path, '[{"id": 1, "songs": [1, 2], "like_cnt": 0}, {"id": 2, "songs": [2], "like_cnt": 99},'
                           ' {"id": 3, "songs": [3], "like_cnt": 5}]')
    matrix = PlaylistMatrix.read([path])
    sad, calm, nothing = np.eye(6)[INDEX["sadness"]], np.eye(6)[INDEX["peace"]], np.full(6, np.nan)
    moods = np.stack([0.5 * sad + 0.5 * np.eye(6)[INDEX["neutral"]], calm, nothing]).astype(np.float32)
    ids, mood, counts = curated.curated_moods(matrix, moods)
    assert list(ids) == [1, 2] and list(counts) == [1, 2]  # playlist 3 has no words: no mood
    assert mood[0] == pytest.approx(0.5 * sad + 0.5 * np.eye(6)[INDEX["neutral"]])
    w1, w2 = 1 * 0.5, (1 + np.log1p(99)) * 1.0  # like weight x (1 - neutral)
    expected = w1 * moods[0] + w2 * moods[1]
    assert mood[1] == pytest.approx(expected / expected.sum(), abs=1e-6)


def test_agreement_per_emotion():
    one = lambda e: np.eye(6)[INDEX[e]]  # noqa: E731
    lyrics = {1: one("sadness"), 2: one("sadness"), 3: one("joy"), 4: one("joy")}
    cur = {1: (one("sadness"), 5), 2: (one("peace"), 5), 3: (one("joy"), 5), 4: (one("joy"), 1)}
    report = curated.agreement(lyrics, cur, min_playlists=3)
    assert report["songs"] == 3 and report["agreement"] == pytest.approx(2 / 3, abs=1e-3)
    sadness = report["per_emotion"]["sadness"]
    assert (sadness["curated"], sadness["lyrics"], sadness["both"]) == (1, 2, 1)
    assert sadness["precision"] == 0.5 and sadness["recall"] == 1.0 and sadness["f1"] == pytest.approx(0.667)
    assert report["per_emotion"]["peace"]["recall"] == 0.0 and report["per_emotion"]["peace"]["precision"] is None
    assert set(report["per_emotion"]) == set(EMOTIONS)

"""Sound in the ranking and the catalog's fused vector (issue 14), as pure functions."""

from __future__ import annotations

import numpy as np
import pytest

from services.common.fusion import fuse, top_label
from services.common.labels import INDEX
from services.ingest.songlist import SongEntry, parse_shard, shard_of
from services.recommender import ranking
from services.recommender.ranking import Candidate

SAD = [0.05, 0.05, 0.7, 0.1, 0.05, 0.05]
CALM = [0.02, 0.02, 0.1, 0.8, 0.03, 0.03]


def test_fusion_blends_two_signals_and_keeps_a_single_one():
    assert fuse(SAD, None, 0.3) == pytest.approx(SAD)
    assert fuse(None, CALM, 0.3) == pytest.approx(CALM)
    mixed = np.asarray(fuse(SAD, CALM, 0.3))
    assert mixed.sum() == pytest.approx(1.0)
    assert mixed == pytest.approx(0.7 * np.asarray(SAD) + 0.3 * np.asarray(CALM))
    assert top_label(fuse(SAD, CALM, 0.0)) == "sadness" and top_label(fuse(SAD, CALM, 1.0)) == "peace"
    with pytest.raises(ValueError, match="lyrics or sound"):
        fuse(None, None, 0.3)
    with pytest.raises(ValueError, match="within 0..1"):
        fuse(SAD, CALM, 1.5)


def test_the_reason_names_the_signals_that_carry_the_matched_feeling():
    sad = INDEX["sadness"]
    assert ranking.signal_reason(sad, {"lyrics": "sadness", "sound": "sadness"}) == "가사와 멜로디 모두 슬픔"
    assert ranking.signal_reason(INDEX["peace"], {"sound": "peace"}) == "멜로디가 평화로워요"
    assert ranking.signal_reason(sad, {"lyrics": "sadness", "sound": "peace"}) == "가사가 슬퍼요"
    assert ranking.signal_reason(sad, {"lyrics": "sadness"}) is None  # lyrics only: the plain reason
    assert ranking.signal_reason(sad, {"lyrics": "joy", "sound": "peace"}) is None
    pool = [Candidate(1, np.asarray(SAD), ("a",), signals={"lyrics": "sadness", "sound": "sadness"}),
            Candidate(2, np.asarray(SAD), ("b",), signals={"lyrics": "sadness"})]
    reasons = {p.song_id: p.reason for p in ranking.match(np.asarray(SAD), pool, 2)}
    assert reasons == {1: "가사와 멜로디 모두 슬픔", 2: "슬픔이 닮았어요"}


def _unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def test_similar_prefers_close_sounds_and_other_artists():
    rng = np.random.default_rng(0)
    query = _unit(rng.normal(size=512))
    near = [_unit(query + 0.02 * rng.normal(size=512)) for _ in range(4)]
    far = [_unit(rng.normal(size=512)) for _ in range(4)]
    pool = [Candidate(10 + i, v, (f"near{i}",)) for i, v in enumerate(near)] + \
           [Candidate(20 + i, v, (f"far{i}",)) for i, v in enumerate(far)] + \
           [Candidate(30, near[0], ("own",))]  # the song's own artist, sounding just like it
    picks = ranking.similar(query, pool, 4, artists=("own",))
    assert {song_id for song_id, _ in picks} == {10, 11, 12, 13}
    assert all(cos > 0.5 for _, cos in picks)
    assert ranking.similar(query, pool, 9, artists=("own",))[-1][0] == 30  # own artist only when nothing else is left


def test_sound_bonus_pulls_towards_liked_sounds_and_ignores_songs_without_sound():
    rng = np.random.default_rng(1)
    liked = _unit(rng.normal(size=512))
    like_it, unlike_it = _unit(liked + 0.2 * rng.normal(size=512)), _unit(rng.normal(size=512))
    bonus = ranking.sound_bonus([like_it.tolist(), unlike_it.tolist(), None], [liked.tolist()], [])
    assert bonus[0] > 0 > bonus[1] and bonus[2] == 0
    pushed = ranking.sound_bonus([like_it.tolist(), unlike_it.tolist()], [], [liked.tolist()])
    assert pushed[0] < 0 < pushed[1]
    assert not ranking.sound_bonus([None, None], [liked.tolist()], []).any()
    # Within one feeling the bonus decides; across feelings it does not.
    pool = [Candidate(1, np.asarray(SAD), ("a",)), Candidate(2, np.asarray(SAD) * 0.99 + 0.0005, ("b",)),
            Candidate(3, np.asarray(CALM), ("c",))]
    order = [p.song_id for p in ranking.match(np.asarray(SAD), pool, 3, np.asarray([-0.05, 0.05, 0.1]))]
    assert order[:2] == [2, 1] and order[2] == 3


def test_shards_partition_the_song_list():
    songs = [SongEntry(song_id=i) for i in range(1, 101)]
    parts = [shard_of(songs, (i, 4)) for i in range(4)]
    assert sorted(e.song_id for part in parts for e in part) == list(range(1, 101))
    assert all(e.song_id % 4 == 1 for e in parts[1])
    assert parse_shard("2/8") == (2, 8) and shard_of(songs, None) == songs
    for bad in ("8/8", "-1/2", "1", "a/b", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)

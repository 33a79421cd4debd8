"""The choosing of songs, on hand-made vectors."""

from __future__ import annotations

import numpy as np
import pytest

from services.common.labels import INDEX
from services.recommender.ranking import (
    Candidate, cosine, match, personal_query, regulate, regulate_aims, subject, towards,
)


def vec(**weights) -> np.ndarray:
    v = np.full(6, 0.01)
    for name, w in weights.items():
        v[INDEX[name]] = w
    return v / v.sum()


def test_match_prefers_similar_songs_and_varies_artists():
    query = vec(sadness=0.8, tension=0.2)
    pool = [
        Candidate(1, vec(sadness=0.9), ("A",)),
        Candidate(2, vec(sadness=0.88), ("A",)),  # same artist as 1: waits while others remain
        Candidate(3, vec(sadness=0.7, tension=0.3), ("B",)),
        Candidate(4, vec(joy=0.9), ("C",)),
        Candidate(5, vec(sadness=0.6, peace=0.3), ("D",)),
    ]
    picks = match(query, pool, 3)
    ids = [p.song_id for p in picks]
    assert ids[0] == 3 and ids[1] in (1, 2) and ids[2] == 5  # artist A once; D before C's joy song
    assert all(p.matched == INDEX["sadness"] for p in picks)
    assert "슬픔이 닮았어요" == picks[0].reason
    # When the pool has too few artists, the same artist may return.
    assert {p.song_id for p in match(query, pool[:2], 2)} == {1, 2}


def test_regulate_aims_move_from_current_to_target_step_by_step():
    current = vec(sadness=0.9)
    aims = regulate_aims(current, INDEX["peace"], 5)
    assert np.allclose(aims[0], current) and aims[-1].argmax() == INDEX["peace"] and aims[-1].max() == 1.0
    toward = [cosine(a, vec(peace=1.0)) for a in aims]
    assert toward == sorted(toward)  # every step closer to the target
    assert regulate_aims(current, INDEX["joy"], 1)[0] == pytest.approx(current)


def test_regulate_picks_a_path_without_repeats():
    songs = [Candidate(i, v, (f"artist{i}",)) for i, v in enumerate(
        [vec(sadness=0.9), vec(sadness=0.6, peace=0.4), vec(sadness=0.4, peace=0.6), vec(peace=0.9), vec(joy=0.9)])]
    picks = regulate(vec(sadness=0.9), INDEX["peace"], [songs] * 4, 4)
    assert [p.song_id for p in picks] == [0, 1, 2, 3]
    assert picks[0].reason == "1/4단계 · 슬픔에서 평화로"


def test_personal_query_leans_towards_likes_and_away_from_dislikes():
    query = vec(sadness=0.5, peace=0.5)
    moved = personal_query(query, liked=[vec(peace=0.95)], disliked=[vec(sadness=0.95)])
    assert moved[INDEX["peace"]] > moved[INDEX["sadness"]]
    assert moved.sum() == pytest.approx(1.0) and (moved >= 0).all()
    assert personal_query(query, [], []) == pytest.approx(query)


def test_korean_particles():
    assert [subject(w) for w in ("분노", "긴장", "평화")] == ["분노가", "긴장이", "평화가"]
    assert [towards(w) for w in ("평화", "기쁨", "서울")] == ["평화로", "기쁨으로", "서울로"]


def _reference_match(query, pool, limit):
    """The plain-loop MMR the vectorised one replaced: the picks must stay the same."""
    from services.recommender.ranking import MMR_LAMBDA, cosine

    remaining, chosen, used = list(pool), [], set()
    relevance = {c.song_id: cosine(query, c.vector) for c in pool}
    while remaining and len(chosen) < limit:
        options = [c for c in remaining if not used.intersection(c.artists)] or remaining
        best = max(options, key=lambda c: MMR_LAMBDA * relevance[c.song_id] - (1 - MMR_LAMBDA) * max(
            (cosine(c.vector, s.vector) for s in chosen), default=0.0))
        chosen.append(best)
        used.update(best.artists)
        remaining.remove(best)
    return [(c.song_id, relevance[c.song_id]) for c in chosen]


def test_vectorised_mmr_picks_what_the_plain_loop_picks():
    import numpy as np

    from services.recommender.ranking import Candidate, match

    rng = np.random.default_rng(7)
    for trial in range(200):
        n = int(rng.integers(1, 80))
        vectors = rng.dirichlet(np.full(6, 0.4), size=n)
        artists = rng.integers(0, max(1, n // 3), size=n)
        pool = [Candidate(i, v, (f"a{artists[i]}",) + ((f"a{artists[i] + 1}",) if i % 5 == 0 else ()))
                for i, v in enumerate(vectors)]
        query = rng.dirichlet(np.full(6, 0.4))
        limit = int(rng.integers(1, 20))
        picks = match(query, pool, limit)
        want = _reference_match(query, pool, limit)
        assert [p.song_id for p in picks] == [i for i, _ in want], trial
        assert [p.similarity for p in picks] == [r for _, r in want] or np.allclose(
            [p.similarity for p in picks], [r for _, r in want], atol=1e-12)

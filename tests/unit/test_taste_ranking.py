"""Emotion first, taste second: the taste term of a candidate reorders songs of the same feeling
and never brings in a song of another feeling; without it the ranking is by emotion alone."""

from __future__ import annotations

import numpy as np

from services.common.labels import INDEX
from services.recommender import ranking
from services.recommender.taste import TASTE_WEIGHT, centroid

SAD = np.eye(6)[INDEX["sadness"]] * 0.9 + 0.02
CALM = np.eye(6)[INDEX["peace"]] * 0.9 + 0.02


def pool(boost: dict[int, float]) -> list[ranking.Candidate]:
    sad = [ranking.Candidate(i, SAD + 0.001 * i * np.eye(6)[0], (f"artist {i}",), boost.get(i, 0.0))
           for i in range(1, 6)]
    calm = [ranking.Candidate(i, CALM, (f"artist {i}",), boost.get(i, 0.0)) for i in range(6, 9)]
    return sad + calm


def test_taste_reorders_within_the_feeling_but_never_crosses_it():
    plain = [p.song_id for p in ranking.match(SAD, pool({}), 5)]
    assert set(plain) == {1, 2, 3, 4, 5}
    # The strongest taste match possible for a calm song, the weakest for the sad ones.
    tasted = ranking.match(SAD, pool({6: TASTE_WEIGHT, 7: TASTE_WEIGHT, 5: TASTE_WEIGHT,
                                      1: -TASTE_WEIGHT, 2: -TASTE_WEIGHT}), 5)
    ids = [p.song_id for p in tasted]
    assert set(ids) == {1, 2, 3, 4, 5} and ids[0] == 5 and ids[-2:] in ([1, 2], [2, 1])
    assert tasted[0].reason == "슬픔이 닮았어요" + ranking.TASTE_REASON  # the pick says why it came first
    assert all(p.reason == "슬픔이 닮았어요" for p in tasted[1:])
    # The similarity shown stays the emotion fit.
    assert all(abs(p.similarity - ranking.cosine(SAD, c.vector)) < 1e-9
               for p in tasted for c in pool({}) if c.song_id == p.song_id)


def test_regulate_steps_use_taste_as_the_tie_breaker():
    pools = [pool({}), pool({})]
    plain = ranking.regulate(SAD, INDEX["peace"], pools, 2)
    boosted = ranking.regulate(SAD, INDEX["peace"], [pool({8: TASTE_WEIGHT}), pool({8: TASTE_WEIGHT})], 2)
    assert plain[1].song_id == 6  # the first calm song of equals
    assert boosted[1].song_id == 8  # the calm song of the listener's taste
    assert boosted[1].reason.endswith(ranking.TASTE_REASON) and not plain[1].reason.endswith(ranking.TASTE_REASON)


def test_a_listener_taste_is_the_mean_direction_of_their_likes():
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 2.0, 0.0])
    assert np.allclose(centroid([a, b]), np.array([1, 1, 0]) / np.sqrt(2))
    assert centroid([]) is None and centroid([a, -a]) is None

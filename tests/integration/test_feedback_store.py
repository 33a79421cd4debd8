"""Per-user feedback in a real redis-server: what the recommender reads back is what it needs."""

from __future__ import annotations

import numpy as np

from services.recommender import ranking
from services.recommender.cache import Cache
from tests.support.redis_server import redis_server

SAD = [0.02, 0.03, 0.9, 0.02, 0.01, 0.02]
CALM = [0.01, 0.01, 0.05, 0.9, 0.02, 0.01]


def test_dislikes_keep_their_vectors_so_they_can_push_the_query_away(tmp_path):
    with redis_server(tmp_path / "redis") as (url, _):
        cache = Cache(url)
        cache.record_feedback("listener", 7, "disliked", SAD)
        cache.record_feedback("listener", 9, "liked", CALM)
        liked, disliked, recent = cache.user_state("listener")
        assert liked == {9: CALM} and disliked == {7: SAD} and recent == []

        # The engine hands these vectors to personal_query: a sad sentence leans away from sadness.
        query = np.array(SAD)
        moved = ranking.personal_query(query, list(map(np.asarray, liked.values())),
                                       list(map(np.asarray, disliked.values())))
        assert ranking.cosine(moved, np.array(SAD)) < ranking.cosine(query, np.array(SAD))

        # Changing one's mind moves a song from one side to the other; other users see nothing.
        cache.record_feedback("listener", 7, "liked", SAD)
        liked, disliked, _ = cache.user_state("listener")
        assert set(liked) == {7, 9} and disliked == {}
        assert cache.user_state("someone-else") == ({}, {}, [])

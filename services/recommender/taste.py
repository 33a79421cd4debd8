"""Taste in recommendations: the `taste` vectors that playlists give songs (services/ingest/taste.py).

- A listener's taste is the centroid of the taste vectors of the songs they liked (feedback);
  songs without a taste vector add nothing, and a listener with no such likes has no taste.
- MATCH and REGULATE rank by emotion fit first and taste second: each candidate's ranking score is
  its emotion cosine plus `weight` × the cosine of its taste vector to the listener's taste
  (`MOODTUNE_RECOMMENDER_TASTE_WEIGHT`, default `TASTE_WEIGHT` = 0.1). Emotion cosines of songs of
  the sentence's feeling lie within a few hundredths of each other and those of other feelings far
  below, so taste (at most ±0.1) reorders songs of the same feeling and cannot bring in another one.
  A candidate without a taste vector (a new song in no playlist) gets 0: emotion alone.
- `similar_by_taste`: the songs nearest to one song by taste, plainly (no MMR); SimilarSongs runs the
  same search in `taste` for a song without sound (engine.Recommender.similar).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from services.common.catalog import CatalogStore, Hit, SearchFilter
from services.common.catalog.schema import TASTE

TASTE_WEIGHT = 0.1


def taste_vectors(catalog: CatalogStore, ids: Iterable[int]) -> dict[int, np.ndarray]:
    """The taste vector of each of these songs that has one (one catalog call)."""
    ids = sorted(set(int(i) for i in ids))
    if not ids:
        return {}
    return {p.id: np.asarray(p.vectors[TASTE], dtype=np.float64)
            for p in catalog.retrieve_points(ids) if p.vectors.get(TASTE)}


def centroid(vectors: Iterable[np.ndarray]) -> np.ndarray | None:
    """The unit mean direction of unit vectors; None for none (or when they cancel out)."""
    vectors = [v / (np.linalg.norm(v) or 1.0) for v in vectors]
    if not vectors:
        return None
    mean = np.mean(vectors, axis=0)
    norm = np.linalg.norm(mean)
    return mean / norm if norm > 1e-9 else None


def boosts(catalog: CatalogStore, liked: Iterable[int], candidates: Iterable[int],
           weight: float = TASTE_WEIGHT) -> dict[int, float]:
    """Candidate id -> weight × cosine(its taste, the listener's taste); empty when taste is off for them."""
    liked, candidates = list(liked), list(candidates)
    if weight <= 0 or not liked or not candidates:
        return {}
    vectors = taste_vectors(catalog, [*liked, *candidates])
    listener = centroid(vectors[s] for s in liked if s in vectors)
    if listener is None:
        return {}
    return {s: weight * float(vectors[s] @ listener / (np.linalg.norm(vectors[s]) or 1.0))
            for s in candidates if s in vectors}


def similar_by_taste(catalog: CatalogStore, song_id: int, limit: int,
                     filter: SearchFilter | None = None) -> list[Hit]:
    """The `limit` songs nearest to `song_id` by taste, best first, the song itself left out.

    Empty when the song has no taste vector (in no playlist): the caller falls back to another signal."""
    own = taste_vectors(catalog, [song_id]).get(song_id)
    if own is None or limit < 1:
        return []
    base = filter or SearchFilter()
    qfilter = SearchFilter(base.genres, base.year_from, base.year_to, base.exclude | {song_id})
    (hits,) = catalog.search([own], limit, qfilter, using=TASTE)
    return hits

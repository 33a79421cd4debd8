"""Taste vectors: item factors of the playlist x song matrix, and their Arena-style evaluation.

Factorisation: PyPI `implicit`'s alternating least squares for implicit feedback (Hu, Koren and
Volinsky 2008) on the binary playlist x song matrix; a song's `taste` vector is its item factor,
L2-normalised (`TASTE_DIM` = 64 dimensions; the catalog stores it as cosine). `like_weight` turns each
entry's confidence into 1 + log1p(like_cnt) of its playlist; it is off by default because on the demo
it does not help (`evaluate` reports both; README, "Playlists").

Evaluation (`evaluate`), the way the Kakao Arena challenge scored it: a deterministic fifth of the
playlists (with at least 4 songs) is held out of training; of each, a seeded half of its songs is
given (the seeds) and the other half is to be found. Taste ranks every song by cosine to the mean of
the seeds' taste vectors (the same centroid the recommender uses for a listener), seeds excluded;
the baseline ranks by popularity in the training playlists. Scored as Arena did: nDCG@100 and
recall@100 of the held-out songs (also @10, because 100 is over a third of the demo's songs).
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import asdict, dataclass

import numpy as np
from scipy.sparse import csr_matrix

from services.common.catalog.schema import TASTE_DIM
from services.ingest.arena_playlists import PlaylistMatrix
from services.recommender.taste import centroid as listener_taste  # the recommender's own centroid

ITERATIONS = 15
REGULARIZATION = 1.0
ALPHA = 10.0  # confidence of an entry: 1 + ALPHA * value
SEED = 17


@dataclass(frozen=True)
class TasteModel:
    song_ids: np.ndarray  # (n,) int64, sorted
    vectors: np.ndarray  # (n, dim) float32, L2-normalised rows
    playlists: np.ndarray  # (n,) int64: playlists each song is in

    def lookup(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mask of the ids that have a vector, row of each of those)."""
        ids = np.asarray(ids, dtype=np.int64)
        rows = np.searchsorted(self.song_ids, ids).clip(0, max(len(self.song_ids) - 1, 0))
        found = (self.song_ids[rows] == ids) if len(self.song_ids) else np.zeros(len(ids), bool)
        return found, rows[found]

    def save(self, path) -> None:
        np.savez(path, song_ids=self.song_ids, vectors=self.vectors, playlists=self.playlists)

    @classmethod
    def load(cls, path) -> "TasteModel":
        with np.load(path) as data:
            return cls(data["song_ids"], data["vectors"], data["playlists"])


def interactions(matrix: PlaylistMatrix, like_weight: bool = False) -> tuple[csr_matrix, np.ndarray]:
    """(playlist x song CSR matrix of confidences, the song id of each column)."""
    song_ids, columns = np.unique(matrix.song_ids, return_inverse=True)
    values = np.ones(len(columns), dtype=np.float32)
    if like_weight:
        per_row = np.diff(matrix.indptr)
        values = np.repeat(1.0 + np.log1p(matrix.like_cnt.astype(np.float32)), per_row).astype(np.float32)
    return csr_matrix((values, columns, matrix.indptr), shape=(len(matrix), len(song_ids))), song_ids


def fit_taste(matrix: PlaylistMatrix, dim: int = TASTE_DIM, *, like_weight: bool = False,
              iterations: int = ITERATIONS, regularization: float = REGULARIZATION, alpha: float = ALPHA,
              seed: int = SEED, threads: int = 0) -> TasteModel:
    from threadpoolctl import threadpool_limits

    from implicit.cpu.als import AlternatingLeastSquares

    user_items, song_ids = interactions(matrix, like_weight)
    with warnings.catch_warnings():  # its warning about BLAS threads: they are limited to 1 below
        warnings.simplefilter("ignore", RuntimeWarning)
        model = AlternatingLeastSquares(factors=dim, regularization=regularization, alpha=alpha,
                                        iterations=iterations, random_state=seed, num_threads=threads)
    with threadpool_limits(1, "blas"):
        model.fit(user_items, show_progress=False)
    factors = np.asarray(model.item_factors, dtype=np.float32)
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    playlists = np.diff(user_items.tocsc().indptr).astype(np.int64)
    return TasteModel(song_ids.astype(np.int64), factors / np.maximum(norms, 1e-12), playlists)


# --- evaluation ------------------------------------------------------------------------------------

def _held_out(playlist_id: int, fraction: float) -> bool:
    digest = hashlib.sha1(f"moodtune-taste-eval:{playlist_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") < fraction * 2**32


def split(matrix: PlaylistMatrix, fraction: float = 0.2, min_songs: int = 4, seed: int = SEED):
    """(train rows, [(seed songs, held-out songs)] of the test playlists)."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for row, pid in enumerate(matrix.playlist_ids):
        songs = matrix.songs_of(row)
        if len(songs) >= min_songs and _held_out(int(pid), fraction):
            shuffled = rng.permutation(songs)
            half = len(songs) // 2
            test.append((shuffled[:half], shuffled[half:]))
        else:
            train.append(row)
    return np.asarray(train, dtype=np.int64), test


def ndcg_recall(ranked: np.ndarray, held: np.ndarray, k: int) -> tuple[float, float]:
    hits = np.isin(ranked[:k], held)
    dcg = float((hits / np.log2(np.arange(2, len(hits) + 2))).sum())
    ideal = float((1.0 / np.log2(np.arange(2, min(len(held), k) + 2))).sum())
    return (dcg / ideal if ideal else 0.0), float(hits.sum() / len(held))


@dataclass(frozen=True)
class Scores:
    ndcg_100: float
    recall_100: float
    ndcg_10: float
    recall_10: float


def _score(rankings: list[tuple[np.ndarray, np.ndarray]]) -> Scores:
    at = {k: np.mean([ndcg_recall(r, held, k) for r, held in rankings], axis=0) for k in (100, 10)}
    return Scores(*(round(float(v), 4) for v in (*at[100], *at[10])))


@dataclass(frozen=True)
class Evaluation:
    train_playlists: int
    test_playlists: int
    held_out_songs: int
    taste: Scores
    popularity: Scores
    taste_like_weighted: Scores | None

    def as_dict(self) -> dict:
        return asdict(self)


def evaluate(matrix: PlaylistMatrix, dim: int = TASTE_DIM, *, compare_like_weight: bool = True,
             **fit_options) -> Evaluation:
    train_rows, test = split(matrix)
    train = matrix.subset(train_rows)
    counts = {int(s): c for s, c in zip(*np.unique(train.song_ids, return_counts=True))}
    popular = np.asarray(sorted(counts, key=lambda s: (-counts[s], s)), dtype=np.int64)

    def popularity_ranking(seeds: np.ndarray) -> np.ndarray:
        return popular[~np.isin(popular, seeds)]

    def taste_rankings(model: TasteModel) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for seeds, held in test:
            found, rows = model.lookup(seeds)
            centroid = listener_taste(model.vectors[rows])
            if centroid is None:  # no seed is in a training playlist: taste knows nothing, use popularity
                out.append((popularity_ranking(seeds), held))
                continue
            scores = model.vectors @ centroid
            order = np.argsort(-scores, kind="stable")
            ranked = model.song_ids[order]
            out.append((ranked[~np.isin(ranked, seeds)], held))
        return out

    plain = fit_taste(train, dim, **fit_options)
    weighted = fit_taste(train, dim, like_weight=True, **fit_options) if compare_like_weight else None
    return Evaluation(len(train), len(test), int(sum(len(h) for _, h in test)), _score(taste_rankings(plain)),
                      _score([(popularity_ranking(s), h) for s, h in test]),
                      _score(taste_rankings(weighted)) if weighted is not None else None)

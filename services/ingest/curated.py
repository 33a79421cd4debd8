"""Curated mood: the feeling people wrote into their playlists' titles and tags, carried to the songs.

1. Each playlist's text (title, then its tags as `#tag`; `Playlist.text`) is classified by the text
   model as an UTTERANCE, in batches through the one `Classifier` interface (in-process or the
   classifier service). Playlists with no words have no mood.
2. A song's curated mood is the weighted mean of the moods of the playlists it is in, renormalised
   to sum 1, stored with the number of playlists behind it (`CURATED_MOOD` payload). A playlist's
   weight is (1 + ln(1 + like_cnt)) × (1 − its neutral probability): liked playlists count more
   (without one viral playlist drowning the rest), and words that carry no feeling ("2000년대 힙합
   모음") say little about the songs' feeling: most playlists name a genre, an era or a situation.
3. `agreement` compares it with the lyric labels: per emotion (precision, recall and F1 of the lyric
   top label against the curated top label) and overall.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from services.classifier.client import Classifier
from services.classifier.core import TextKind
from services.common.labels import EMOTIONS, INDEX, NUM_EMOTIONS
from services.ingest.arena_playlists import PlaylistMatrix

#: Songs whose curated mood rests on fewer playlists than this are left out of the agreement report.
MIN_PLAYLISTS = 3


def classify_texts(classifier: Classifier, texts: list[str], batch_size: int, start: int = 0,
                   attempts: Callable[[Callable[[], list]], list] | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, moods) for each batch from `start`: six probabilities per text, NaN rows for empty texts."""
    for first in range(start, len(texts), batch_size):
        batch = texts[first:first + batch_size]
        moods = np.full((len(batch), NUM_EMOTIONS), np.nan, dtype=np.float32)
        worded = [i for i, t in enumerate(batch) if t.strip()]
        if worded:
            call = lambda: classifier.classify([batch[i] for i in worded], TextKind.UTTERANCE)  # noqa: E731
            results = attempts(call) if attempts else call()
            moods[worded] = np.asarray([r.probabilities for r in results], dtype=np.float32)
        yield first, moods


def curated_moods(matrix: PlaylistMatrix, moods: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(song ids, their curated moods (n, 6), the playlists behind each) over playlists that have a mood."""
    has_mood = ~np.isnan(moods).any(axis=1)
    per_row = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(len(matrix)), per_row)
    keep = has_mood[rows]
    song_ids, column = np.unique(matrix.song_ids[keep], return_inverse=True)
    feeling = 1.0 - moods[:, INDEX["neutral"]].astype(np.float64)
    weights = ((1.0 + np.log1p(matrix.like_cnt.astype(np.float64))) * np.nan_to_num(feeling))[rows[keep]]
    sums = np.zeros((len(song_ids), NUM_EMOTIONS))
    np.add.at(sums, column, moods[rows[keep]] * weights[:, None])
    counts = np.bincount(column, minlength=len(song_ids)).astype(np.int64)
    return song_ids, sums / np.maximum(sums.sum(axis=1, keepdims=True), 1e-12), counts


def agreement(lyrics: dict[int, np.ndarray], curated: dict[int, tuple[np.ndarray, int]],
              min_playlists: int = MIN_PLAYLISTS) -> dict:
    """How the lyric labels agree with the curated moods of the songs that have both."""
    ids = sorted(s for s, (_, n) in curated.items() if n >= min_playlists and s in lyrics)
    if not ids:
        return {"songs": 0, "min_playlists": min_playlists, "agreement": None, "per_emotion": {}}
    lyric_top = np.asarray([int(np.argmax(lyrics[s])) for s in ids])
    curated_top = np.asarray([int(np.argmax(curated[s][0])) for s in ids])
    cos = [float(np.dot(lyrics[s], curated[s][0]) / (np.linalg.norm(lyrics[s]) * np.linalg.norm(curated[s][0])))
           for s in ids]
    per_emotion = {}
    for i, emotion in enumerate(EMOTIONS):
        both = int(((lyric_top == i) & (curated_top == i)).sum())
        said_lyrics, said_curated = int((lyric_top == i).sum()), int((curated_top == i).sum())
        precision = both / said_lyrics if said_lyrics else None
        recall = both / said_curated if said_curated else None
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
        per_emotion[emotion] = {"curated": said_curated, "lyrics": said_lyrics, "both": both,
                                "precision": None if precision is None else round(precision, 3),
                                "recall": None if recall is None else round(recall, 3), "f1": round(f1, 3)}
    return {"songs": len(ids), "min_playlists": min_playlists,
            "agreement": round(float((lyric_top == curated_top).mean()), 3),
            "mean_cosine": round(float(np.mean(cos)), 3), "per_emotion": per_emotion}

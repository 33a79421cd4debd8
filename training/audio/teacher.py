"""The emotion teacher: each demo song's lyrics vector from the shipped text classifier.

The lyrics are labelled the way ingest labels them (services/classifier in-process, TextKind.LYRICS:
windows of lines, token-weighted mean), and cached by the text model's version. Songs without
lyrics get no vector: they train the embedding only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from services.classifier.client import LocalClassifier
from services.classifier.core import TextKind
from services.common.settings import ClassifierSettings
from services.ingest.demo import LYRICS


def lyrics_vectors(cache_dir: Path, lyrics_path: Path = LYRICS, batch: int = 32) -> Path:
    """Writes (once per text model version) and returns `{song id: six probabilities}` JSON."""
    classifier = LocalClassifier(ClassifierSettings())
    target = Path(cache_dir) / f"lyrics-vectors-{classifier.model_version}.json"
    if target.is_file():
        return target
    lyrics = json.loads(Path(lyrics_path).read_text(encoding="utf-8"))
    texts = {int(k): "\n".join(v) if isinstance(v, list) else str(v) for k, v in lyrics.items()}
    texts = {k: v for k, v in texts.items() if v.strip()}
    ids = sorted(texts)
    vectors: dict[str, list[float]] = {}
    for i in range(0, len(ids), batch):
        chunk = ids[i : i + batch]
        for song_id, result in zip(chunk, classifier.classify([texts[s] for s in chunk], TextKind.LYRICS)):
            vectors[str(song_id)] = [round(float(p), 6) for p in result.probabilities]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(vectors), encoding="utf-8")
    return target


# --- playlists (issue 17): curated moods as the teacher where lyrics are missing ---------------------

def curated_teacher(playlists: list[Path], lyrics: dict[str, list[float]], *, classifier=None,
                    min_playlists: int = 3) -> tuple[dict[str, list[float]], int]:
    """The lyrics teacher, plus the curated mood (services/ingest/curated.py) of every song that has no
    lyrics vector and is in at least `min_playlists` playlists; (teacher, songs added).

    On Kakao Arena many more songs sit in playlists than have lyrics worth reading (instrumentals,
    songs without lyrics pages), so the curated mood is the denser teacher there; where a song has
    both, its lyrics vector stays (the audio model learns to hear what the lyrics say)."""
    from services.ingest import curated
    from services.ingest.arena_playlists import PlaylistMatrix

    matrix = PlaylistMatrix.read(playlists)
    own = classifier is None
    classifier = classifier or LocalClassifier(ClassifierSettings())
    try:
        moods = np.concatenate([m for _, m in curated.classify_texts(classifier, matrix.texts, 256)]) \
            if len(matrix) else np.zeros((0, 6), np.float32)
    finally:
        if own:
            classifier.close()
    ids, song_moods, counts = curated.curated_moods(matrix, moods)
    teacher = dict(lyrics)
    added = 0
    for song_id, mood, n in zip(ids, song_moods, counts):
        if str(int(song_id)) not in teacher and n >= min_playlists:
            teacher[str(int(song_id))] = [round(float(p), 6) for p in mood]
            added += 1
    return teacher, added

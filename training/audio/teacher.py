"""The emotion teacher: each demo song's lyrics vector from the shipped text classifier.

The lyrics are labelled the way ingest labels them (services/classifier in-process, TextKind.LYRICS:
windows of lines, token-weighted mean), and cached by the text model's version. Songs without
lyrics get no vector: they train the embedding only.
"""

from __future__ import annotations

import json
from pathlib import Path

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

"""Sound in the recommendations, measured on the demo catalog with every clip (issue 14).

    python -m bench.sound [--weights 0.1,0.2,0.3,0.5]

1. MATCH precision@5: held-out conversation sentences (the test split, 8 per emotion, picked as
   tests/integration/test_recommender.py picks them) through the real engine (`Recommender`: search,
   MMR), on the same catalog with its `emotion` vector taken from the lyrics only (the songs with
   lyrics, as before issue 14), the sound only and fused at each weight, on the same 272 songs (so
   only the vectors differ); then the whole catalog ingest writes (277: the five songs without
   lyrics too, which also take places in the candidate pools).
   A pick is a hit when the song was written (or, without lyrics, composed) for the sentence's
   emotion: intended_emotion.tsv + instrumental_emotion.tsv.
2. SimilarSongs (limit 5) for every song with sound: the share of results with the song's intended
   emotion and with its main genre, beside five random other songs with sound (chance).

Needs the rendered demo sound (`python -m services.ingest.demo.sound.render`; the five songs
without lyrics render on the first `moodtune ingest --demo`). The audio model was trained on 230 of
these songs' clips (against their lyrics' vectors, never their intended emotions), so the sound
figures are optimistic for songs it never heard: README, "Sound in the catalog".
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from bench.common import save
from services.classifier.client import LocalClassifier
from services.common import catalog
from services.common.catalog import StoredPoint
from services.common.catalog.schema import AUDIO_EMOTION_VECTOR, AUDIO_VECTOR, LYRICS_VECTOR, SOUND_VECTORS
from services.common.fusion import DEFAULT_AUDIO_WEIGHT, fuse
from services.common.settings import ClassifierSettings, CommonSettings
from services.ingest.demo import INSTRUMENTAL, INTENDED
from services.recommender.cache import Cache
from services.recommender.engine import Recommender, Request

INTENDED_EMOTION = {int(k): v for path in (INTENDED, INSTRUMENTAL)
                    for k, v in (l.split("\t") for l in path.read_text().splitlines()[1:])}


def held_out_sentences(per_emotion: int = 8):
    from training.corpora import load_project
    from training.splits import split

    counts, chosen = Counter(), []
    for example in split(load_project("conversation"))["test"]:
        if counts[example.label] < per_emotion:
            counts[example.label] += 1
            chosen.append(example)
    return chosen


def ingest_with_sound(tmp: Path) -> list[StoredPoint]:
    env = {**os.environ, "MOODTUNE_QDRANT_PATH": str(tmp / "qdrant"), "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0",
           "MOODTUNE_INGEST_DEMO_SOUND": "cached"}
    env.pop("MOODTUNE_CLASSIFIER_ADDR", None)
    subprocess.run([str(Path(sys.executable).parent / "moodtune"), "ingest", "--demo", "--job-dir", str(tmp / "job")],
                   env=env, check=True, capture_output=True)
    with catalog.connect(CommonSettings(qdrant_path=tmp / "qdrant")) as store:
        points, offset = [], None
        while True:
            page, offset = store.scroll(offset, 500)
            points += page
            if offset is None:
                return points


def variant(points: list[StoredPoint], kind: str, weight: float = 0.0, with_lyrics_only: bool = False) -> list[StoredPoint]:
    """The catalog with its search vector from one signal, or fused at `weight`; `with_lyrics_only`:
    only the songs that have lyrics (the lyrics-only catalog's songs, so that only the vectors differ)."""
    out = []
    for p in points:
        lyrics, sound = p.vectors.get(LYRICS_VECTOR), p.vectors.get(AUDIO_EMOTION_VECTOR)
        if kind == "lyrics" and not lyrics or kind == "sound" and not sound or with_lyrics_only and not lyrics:
            continue
        emotion = {"lyrics": lambda: lyrics, "sound": lambda: sound,
                   "fused": lambda: fuse(lyrics, sound, weight)}[kind]()
        out.append(StoredPoint(p.id, {**p.vectors, "emotion": list(emotion)}, p.payload))
    return out


def engine_on(points: list[StoredPoint], path: Path, classifier) -> Recommender:
    store = catalog.connect(CommonSettings(qdrant_path=path))
    # every named vector the points carry (taste too, where playlists gave it)
    store.ensure_schema({**catalog.VECTORS, **SOUND_VECTORS,
                         **{name: len(v) for p in points for name, v in p.vectors.items()}})
    store.upsert_points(points)
    store.finish_bulk_load()
    return Recommender(classifier, store, Cache("redis://127.0.0.1:1/0"))


def precision(engine: Recommender, sentences) -> float:
    hits = total = 0
    for example in sentences:
        for chosen in engine.recommend(Request(example.text, limit=5)).songs:
            total += 1
            hits += INTENDED_EMOTION[chosen.song.song_id] == example.emotion
    return hits / total


def main_genre(payload: dict) -> str:
    return next((g["code"] for g in payload["genres"] if g["code"].endswith("00")), "")


def similar_shares(engine: Recommender, points: list[StoredPoint]) -> dict:
    heard = {p.id: p for p in points if p.vectors.get(AUDIO_VECTOR)}
    rng = np.random.default_rng(0)
    same = Counter()
    for song_id, point in heard.items():
        picks = [c.song.song_id for c in engine.similar(song_id, 5).songs]
        others = rng.choice([i for i in heard if i != song_id], size=5, replace=False)
        for name, ids in (("similar", picks), ("random", others)):
            same[name, "n"] += len(ids)
            same[name, "emotion"] += sum(INTENDED_EMOTION[i] == INTENDED_EMOTION[song_id] for i in ids)
            same[name, "genre"] += sum(main_genre(heard[i].payload) == main_genre(point.payload) for i in ids)
    return {f"{name}_{what}": same[name, what] / same[name, "n"] for name in ("similar", "random")
            for what in ("emotion", "genre")} | {"songs": len(heard)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default="0.1,0.2,0.3,0.5", help="MOODTUNE_FUSION_AUDIO_WEIGHT values to try")
    args = parser.parse_args(argv)
    weights = [float(w) for w in args.weights.split(",")]
    sentences = held_out_sentences()
    classifier = LocalClassifier(ClassifierSettings())
    with tempfile.TemporaryDirectory() as tmp:
        points = ingest_with_sound(Path(tmp))
        rows = {}
        runs = [("lyrics only", "lyrics", 0.0, True), ("sound only, same songs", "sound", 0.0, True)] + \
            [(f"fused {w:g}, same songs", "fused", w, True) for w in weights] + \
            [("sound only, every song", "sound", 0.0, False),
             (f"fused {DEFAULT_AUDIO_WEIGHT:g}, every song", "fused", DEFAULT_AUDIO_WEIGHT, False)]
        for name, kind, weight, same in runs:
            songs = variant(points, kind, weight, same)
            engine = engine_on(songs, Path(tmp) / name.replace(" ", "-").replace(",", ""), classifier)
            rows[name] = {"songs": len(songs), "precision_at_5": precision(engine, sentences)}
            if kind == "fused" and not same:  # the catalog ingest writes: SimilarSongs on it
                rows["similar"] = similar_shares(engine, points)
            engine.catalog.close()
    print(f"MATCH precision@5, {len(sentences)} held-out sentences x 5 songs, against the intended emotions:")
    for name, row in rows.items():
        if name != "similar":
            print(f"  {name:28} {row['songs']:4d} songs  {row['precision_at_5']:.3f}")
    s = rows.get("similar")
    if s:
        print(f"SimilarSongs (5 each, {s['songs']} songs with sound): same intended emotion {s['similar_emotion']:.3f} "
              f"(random {s['random_emotion']:.3f}), same main genre {s['similar_genre']:.3f} "
              f"(random {s['random_genre']:.3f})")
    print(f"saved {save('sound', {'sentences': len(sentences), **rows})}")


if __name__ == "__main__":
    main()

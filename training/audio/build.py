"""`make audio-model`: the shipped audio model, end to end.

    python -m training.audio.build                                   # the demo catalog (default)
    python -m training.audio.build --mels DIR --songs song_meta.json [--teacher vectors.json] [--labels tsv]
    python -m training.audio.build --audio FOLDER [--teacher ...]     # a folder of audio files

Demo: render every demo song's generated clip (cached), label its lyrics with the shipped text
model (the teacher), train, export, and evaluate the artifact through the serving runtime on the
test split against the intended emotions. The run directory is keyed by the data and the
configuration, so a second `make audio-model` resumes or reuses it.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from services.classifier.artifact import EMBEDDING_DIM, AudioModelCard
from services.classifier.audio_model import AudioEmotionModel
from services.common.audio.mel import audio_input_contract
from services.common.labels import EMOTIONS, emotion_index
from services.common.settings import DEFAULT_AUDIO_MODEL_DIR
from training.audio import evaluate as audio_eval
from training.audio.data import audio_folder_mels, kakao_catalog, read_teacher
from training.audio.export import write_artifact
from training.audio.train import AudioTrainConfig, load_best, run

WORK = Path(".moodtune/audio-build")
NAME = "moodtune-audio-cnn"


def read_labels(path: Path) -> dict[int, int]:
    """song_id<TAB>emotion (the demo's intended_emotion.tsv layout)."""
    with open(path, encoding="utf-8") as handle:
        return {int(r["song_id"]): emotion_index(r["emotion"]) for r in csv.DictReader(handle, delimiter="\t")}


def fingerprint(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:10]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mels", type=Path, help="Kakao Arena mel directory; default: the demo's generated sound")
    parser.add_argument("--songs", type=Path, help="song_meta.json (with --mels)")
    parser.add_argument("--audio", type=Path, help="a folder of audio files instead of --mels")
    parser.add_argument("--teacher", type=Path, help="JSON {song id: six lyrics probabilities}")
    parser.add_argument("--labels", type=Path, help="TSV song_id, emotion: evaluation labels (never trained on)")
    parser.add_argument("--playlists", type=Path, nargs="+",
                        help="Kakao Arena playlist files: songs without lyrics learn the curated mood of their playlists")
    parser.add_argument("--out", type=Path, help="artifact directory (default: the shipped one for the demo)")
    parser.add_argument("--version", help="model version (default: from data and configuration)")
    parser.add_argument("--epochs", type=int, default=AudioTrainConfig.epochs)
    parser.add_argument("--width", type=int, default=AudioTrainConfig.width)
    parser.add_argument("--batch-size", type=int, default=AudioTrainConfig.batch_size)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader processes reading mels")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--int8", action="store_true",
                        help="ship the int8 graph where it passes the checks (slower than fp32 for this CNN on CPU)")
    parser.add_argument("--max-steps", type=int, help="tests: stop training early")
    parser.add_argument("--work", type=Path, default=WORK)
    args = parser.parse_args(argv)
    started = time.perf_counter()

    if args.audio:
        mels, songs = audio_folder_mels(args.audio, args.work / "audio-folder")
        trained_on = [f"audio folder {args.audio.name}"]
    elif args.mels:
        if not args.songs:
            parser.error("--mels needs --songs song_meta.json")
        mels, songs = args.mels, args.songs
        trained_on = [f"Kakao Arena mels ({mels.name})"]
    else:  # the demo: generated sound, lyrics teacher, intended emotions for evaluation
        from services.ingest.demo import INTENDED, SONG_META
        from services.ingest.demo.sound.composer import COMPOSER_VERSION
        from services.ingest.demo.sound.render import render_all
        from training.audio.teacher import lyrics_vectors

        mels, songs = render_all(), SONG_META
        args.teacher = args.teacher or lyrics_vectors(args.work)
        args.labels = args.labels or INTENDED
        args.out = args.out or DEFAULT_AUDIO_MODEL_DIR
        trained_on = [f"demo catalog: 272 generated clips (composer v{COMPOSER_VERSION}, FluidR3 GM)",
                      f"teacher: lyrics vectors of the shipped text model ({Path(args.teacher).name})"]
    if args.out is None:
        parser.error("--out is needed unless training the demo")
    if args.playlists:  # issue 17: the curated mood where lyrics are missing (training/audio/teacher.py)
        from training.audio.teacher import curated_teacher

        lyrics = json.loads(Path(args.teacher).read_text(encoding="utf-8")) if args.teacher else {}
        merged, added = curated_teacher(args.playlists, lyrics)
        args.teacher = args.work / f"teacher-curated-{len(merged)}.json"
        args.work.mkdir(parents=True, exist_ok=True)
        args.teacher.write_text(json.dumps(merged), encoding="utf-8")
        trained_on.append(f"teacher: + curated playlist moods of {added} songs without lyrics "
                          f"({', '.join(p.name for p in args.playlists)})")
        print(f"teacher: {len(lyrics)} songs from lyrics, {added} more from playlists", file=sys.stderr)
    teacher = read_teacher(args.teacher) if args.teacher else None
    labels = read_labels(args.labels) if args.labels else None
    catalog = kakao_catalog(Path(mels), Path(songs), teacher, labels, min_frames=16)
    # (A run with other settings under the same key stops with a clear error: train.run checks its config.)
    key = fingerprint(str(mels), str(songs), sorted((teacher or {}).keys()), args.epochs, args.width, args.max_steps)
    config = AudioTrainConfig(mels=str(mels), songs=str(songs), out=str(args.work / f"run-{key}"),
                              teacher=str(args.teacher) if args.teacher else None, epochs=args.epochs,
                              width=args.width, batch_size=args.batch_size, workers=args.workers, device=args.device,
                              max_steps=args.max_steps)
    run(config, catalog)
    model = load_best(Path(config.out))
    parts = catalog.split()
    version = args.version or f"{NAME}-{key}"
    card = AudioModelCard(
        name=NAME, version=version, labels=EMOTIONS, embedding_dim=EMBEDDING_DIM,
        input=audio_input_contract(config.frames),
        architecture=f"MelCNN width {config.width}: 4 conv blocks, mean+max pooling, emotion head + 512-d embedding",
        parameters=model.parameter_count(), trained_on=tuple(trained_on),
        evaluation={"training": {"config": {k: v for k, v in asdict(config).items() if k not in ("mels", "songs", "out", "teacher")},
                                 "songs": {k: len(v) for k, v in parts.items()}, "skipped": catalog.skipped}},
    )
    out, checks = write_artifact(model, args.out, card, parts["dev"] or parts["train"][:8], quantize=args.int8)
    served = AudioEmotionModel(out)
    figures = dict(card.evaluation)
    if labels:
        for split in ("dev", "test"):
            if parts[split]:
                figures[split] = audio_eval.figures(served, parts["train"], parts[split])
    figures["export"] = checks
    figures["build_seconds"] = round(time.perf_counter() - started, 1)
    dataclasses.replace(AudioModelCard.read(out), evaluation=figures).write(out)  # keeps the quantization export chose
    for split in ("dev", "test"):
        for row, f in figures.get(split, {}).items():
            print(f"{split:5s} {row:22s} macro-F1 {f['macro_f1']:.3f}  accuracy {f['accuracy']:.3f}  "
                  f"lyrics cosine {f.get('lyrics_cosine', float('nan')):.3f}  "
                  f"kNN@5 {f.get('knn_same_emotion_at_5', float('nan')):.3f}  ({f['examples']} songs)")
    print(json.dumps({"export": checks, "build_seconds": figures["build_seconds"]}))
    print(f"audio model: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Ingest throughput, side by side with the original project's way, and a 700k-song bulk load.

    python -m bench.ingest [--original-songs 8] [--catalog-size 700000]
    python -m bench.ingest --sound      # 4. only: sound beside lyrics (needs the rendered demo sound)

1. end to end: `moodtune ingest --demo` on the loopback mirror (crawl, clean, label, store), songs/s.
2. labelling alone, on the demo catalog's lyrics:
   - moodtune: every line of every song, windows of whole lines, batched, int8 ONNX;
   - the original: one song at a time through a transformers text-classification pipeline with a
     model of KLUE-RoBERTa-large's shape (random weights serve for timing), truncated at 512 tokens,
     so the ends of long songs are never read.
   The original took 21,868 s for 112,512 lyrics.
3. a synthetic catalog of N songs (default 700,000, the Kakao Arena catalog's size) upserted straight
   into the embedded catalog (Qdrant Edge) through the store interface, in batches of 1,000, then
   its index built: upserts/s and resident memory.
4. sound (issue 14), `--sound`: end to end without sound (baseline) beside end to end with the demo's
   277 clips as mels (ClassifyAudio per batch, fused vectors); and labelling alone, lyrics (272 songs)
   beside mels (277 songs, in the message-sized chunks ingest sends). Render the clips first:
   `python -m services.ingest.demo.sound.render` (the five songs without lyrics render on the first
   `moodtune ingest --demo`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import save
from services.classifier.client import LocalClassifier
from services.classifier.core import TextKind
from services.common import catalog
from services.common.catalog import Genre, Song
from services.common.settings import ClassifierSettings, CommonSettings
from services.ingest.demo import LYRICS

ORIGINAL_SECONDS, ORIGINAL_LYRICS = 21_868, 112_512


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def end_to_end(sound: str = "off") -> dict:
    """`sound`: MOODTUNE_INGEST_DEMO_SOUND (off: lyrics only, as before issue 14; cached: the rendered clips)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MOODTUNE_QDRANT_PATH": f"{tmp}/qdrant", "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0",
               "MOODTUNE_INGEST_DEMO_SOUND": sound}
        env.pop("MOODTUNE_CLASSIFIER_ADDR", None)
        subprocess.run([str(Path(sys.executable).parent / "moodtune"), "ingest", "--demo", "--job-dir", f"{tmp}/job"],
                       env=env, check=True, capture_output=True)
        report = json.loads(Path(f"{tmp}/job/report.json").read_text())
    return {"songs_stored": report["stored"], "seconds": report["seconds"],
            "songs_per_s": report["stored"] / report["seconds"], "signals": report.get("signals")}


def label_mels() -> dict:
    """The demo's mels through ClassifyAudio in-process, in the chunks ingest sends (pipelines._by_size)."""
    from services.classifier.audio_core import AudioInput
    from services.ingest.demo.sound.render import DEFAULT_OUT, cache_dir, sound_emotions
    from services.ingest.pipelines import _by_size
    from services.ingest.sound import MelDirectory

    source = MelDirectory(cache_dir(DEFAULT_OUT) / "mels")
    ids = [i for i in sorted(sound_emotions()) if source.has(i)]
    classifier = LocalClassifier(ClassifierSettings())
    classifier.classify_audio([AudioInput(mel=source.mel(ids[0]))])  # warm-up
    started = time.perf_counter()
    for i in range(0, len(ids), 32):  # a batch as ingest forms it: read, validate, classify
        for chunk in _by_size([AudioInput(mel=source.mel(song_id)) for song_id in ids[i : i + 32]]):
            classifier.classify_audio(chunk)
    seconds = time.perf_counter() - started
    return {"songs": len(ids), "seconds": seconds, "songs_per_s": len(ids) / seconds}


def sound(songs: list[list[str]]) -> dict:
    lyrics_only, with_sound = end_to_end("off"), end_to_end("cached")
    lyrics, mels = label_ours(songs), label_mels()
    print(f"end to end, lyrics only (baseline):  {lyrics_only['songs_stored']} songs in {lyrics_only['seconds']:.1f} s"
          f" = {lyrics_only['songs_per_s']:.1f} songs/s")
    print(f"end to end, lyrics + sound:          {with_sound['songs_stored']} songs in {with_sound['seconds']:.1f} s"
          f" = {with_sound['songs_per_s']:.1f} songs/s ({with_sound['songs_per_s'] / lyrics_only['songs_per_s']:.2f}x);"
          f" {with_sound['signals']}")
    print(f"labelling alone, lyrics: {lyrics['songs_per_s']:.1f} songs/s; mels: {mels['songs_per_s']:.1f} songs/s "
          f"({mels['songs_per_s'] / lyrics['songs_per_s']:.2f}x)")
    path = save("ingest-sound", {"end_to_end_lyrics_only": lyrics_only, "end_to_end_with_sound": with_sound,
                                 "label_lyrics": lyrics, "label_mels": mels})
    print(f"saved {path}")
    return {}


def label_ours(songs: list[list[str]]) -> dict:
    classifier = LocalClassifier(ClassifierSettings())
    texts = ["\n".join(lines) for lines in songs]
    classifier.classify(texts[:4], TextKind.LYRICS)  # warm-up
    started = time.perf_counter()
    for i in range(0, len(texts), 32):
        classifier.classify(texts[i : i + 32], TextKind.LYRICS)
    seconds = time.perf_counter() - started
    return {"songs": len(texts), "seconds": seconds, "songs_per_s": len(texts) / seconds, "lines_read": 1.0}


def label_original(songs: list[list[str]], n: int) -> dict:
    import torch
    from transformers import PreTrainedTokenizerFast, RobertaConfig, RobertaForSequenceClassification, pipeline

    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    config = RobertaConfig(vocab_size=32000, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                           intermediate_size=4096, max_position_embeddings=514, num_labels=6, pad_token_id=1)
    model = RobertaForSequenceClassification(config).eval()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=str(ClassifierSettings().model_dir / "tokenizer.json"),
        pad_token="<pad>", unk_token="<unk>", cls_token="<s>", sep_token="</s>", model_max_length=512)
    classify = pipeline("text-classification", model=model, tokenizer=tokenizer, device=-1)
    # The ids of the 14.7k-piece tokenizer fit a 32k vocabulary; only the shape matters for timing.
    texts = [" ".join(lines) for lines in songs[:n]]
    classify(texts[0][:50], truncation=True, max_length=512)  # warm-up
    started = time.perf_counter()
    for text in texts:
        classify(text, truncation=True, max_length=512)
    seconds = time.perf_counter() - started
    read = []
    for lines in songs:
        kept, used = 0, 2
        for line in lines:
            used += len(tokenizer(line, add_special_tokens=False)["input_ids"])
            kept += used <= 512
        read.append(kept / len(lines))
    return {"songs": len(texts), "seconds": seconds, "songs_per_s": len(texts) / seconds,
            "lines_read": float(np.mean(read))}


def bulk_load(size: int, batch: int = 1000) -> dict:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        store = catalog.connect(CommonSettings(qdrant_path=Path(tmp) / "qdrant"))
        store.ensure_schema()
        before = rss_mb()
        started = time.perf_counter()
        for start in range(0, size, batch):
            vectors = rng.dirichlet(np.full(6, 0.5), size=min(batch, size - start))
            store.upsert([
                Song(song_id=start + i + 1, title=f"합성 곡 {start + i + 1}", artists=[f"가수 {(start + i) % 50_000}"],
                     album=f"앨범 {(start + i) // 12}", genres=[Genre("GN0100", "발라드")], issue_year=1990 + i % 35,
                     probabilities=v.tolist(), label="joy", highlight="합성된 가사 한 줄", source_url="",
                     model_version="synthetic")
                for i, v in enumerate(vectors)
            ])
        store.finish_bulk_load()
        seconds = time.perf_counter() - started
        count = store.count()
        after = rss_mb()
        store.close()
        disk = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 1e6
    return {"songs": count, "seconds": seconds, "upserts_per_s": count / seconds,
            "rss_mb_before": before, "rss_mb_after": after, "disk_mb": disk}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--original-songs", type=int, default=8)
    parser.add_argument("--catalog-size", type=int, default=700_000)
    parser.add_argument("--sound", action="store_true", help="only part 4: sound beside lyrics")
    args = parser.parse_args(argv)

    songs = list(json.loads(LYRICS.read_text(encoding="utf-8")).values())
    if args.sound:
        sound(songs)
        return
    e2e = end_to_end()
    print(f"end to end (crawl + label + store, demo mirror): {e2e['songs_stored']} songs in {e2e['seconds']:.1f} s"
          f" = {e2e['songs_per_s']:.1f} songs/s")
    ours, original = label_ours(songs), label_original(songs, args.original_songs)
    speedup = ours["songs_per_s"] / original["songs_per_s"]
    print(f"labelling, moodtune (every line, batched, int8):     {ours['songs_per_s']:8.2f} songs/s, "
          f"lines read {ours['lines_read']:.0%}")
    print(f"labelling, original (RoBERTa-large shape, 1 by 1):  {original['songs_per_s']:8.2f} songs/s, "
          f"lines read {original['lines_read']:.1%} (truncated at 512 tokens)")
    print(f"speed-up {speedup:.1f}x; the original's 112,512 lyrics would take "
          f"{ORIGINAL_LYRICS / ours['songs_per_s'] / 60:.0f} min here (it took {ORIGINAL_SECONDS / 3600:.1f} h)")
    bulk = bulk_load(args.catalog_size)
    print(f"bulk load: {bulk['songs']:,} songs in {bulk['seconds']:.0f} s = {bulk['upserts_per_s']:,.0f} upserts/s; "
          f"RSS {bulk['rss_mb_before']:.0f} -> {bulk['rss_mb_after']:.0f} MB; on disk {bulk['disk_mb']:.0f} MB")
    path = save("ingest", {"end_to_end": e2e, "label_ours": ours, "label_original": original,
                           "speedup": speedup, "bulk_load": bulk})
    print(f"saved {path}")


if __name__ == "__main__":
    main()

"""Playlists at Kakao Arena's scale: reading train.json and factorising the taste vectors.

    nice -n 10 python -m bench.playlists [--playlists 115071] [--songs 700000] [--dims 32,64] [--iterations 15]

Synthetic data of `train.json`'s shape (seed 0): 115,071 playlists over 700,000 songs, lengths
log-normal around Arena's mean of ~46 songs (1..200), songs drawn by a Zipf-like popularity
(Arena's train.json has 5.29 M entries over 615 k distinct songs), titles and tags of Arena's
lengths. Written once to a temporary train.json. Each step runs in its own process, so its peak
resident memory (VmHWM) is its own:

- read:   `json.load` of the whole file (baseline) vs the streaming loader into the compact
          `PlaylistMatrix` (candidate): seconds and peak memory;
- factorise: the popularity baseline (a bincount of the entries) vs ALS (`services/ingest/taste.py`,
          implicit, all cores) at each dimension: seconds and peak memory.

Writes bench/results/playlists.json (with the scale it ran at).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import save

WORDS = ["잔잔한", "신나는", "이별", "힐링", "새벽감성", "드라이브", "카페", "운동", "발라드", "인디", "여름", "비"]


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_synthetic(path: Path, playlists: int, songs: int, seed: int = 0) -> int:
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(np.log(30), 0.9, playlists).astype(int), 1, 200)
    popularity = 1.0 / np.arange(1, songs + 1) ** 0.8
    cdf = np.cumsum(popularity / popularity.sum())
    ids = rng.permutation(songs)  # popular songs are not the low ids
    entries = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write("[\n")
        for i, n in enumerate(lengths):
            chosen = np.unique(ids[np.minimum(np.searchsorted(cdf, rng.random(n)), songs - 1)])
            entries += len(chosen)
            row = {"tags": list(rng.choice(WORDS, size=rng.integers(1, 4), replace=False)), "id": i,
                   "plylst_title": " ".join(rng.choice(WORDS, size=rng.integers(1, 5))), "songs": chosen.tolist(),
                   "like_cnt": int(rng.pareto(1.1)), "updt_date": "2019-01-01 00:00:00.000"}
            out.write(("," if i else "") + json.dumps(row, ensure_ascii=False) + "\n")
        out.write("]\n")
    return entries


def step(kind: str, path: str, dim: int, iterations: int) -> dict:
    """One measurement, run in this (fresh) process."""
    from services.ingest.arena_playlists import PlaylistMatrix

    before = peak_mb()
    started = time.perf_counter()
    if kind == "json.load":
        rows = json.load(open(path, encoding="utf-8"))
        return {"seconds": time.perf_counter() - started, "peak_mb": peak_mb(), "before_mb": before,
                "playlists": len(rows)}
    matrix = PlaylistMatrix.read([Path(path)])
    read_s = time.perf_counter() - started
    if kind == "stream":
        return {"seconds": read_s, "peak_mb": peak_mb(), "before_mb": before, "playlists": len(matrix),
                "entries": len(matrix.song_ids)}
    loaded_mb = peak_mb()
    started = time.perf_counter()
    if kind == "popularity":
        _, counts = np.unique(matrix.song_ids, return_counts=True)
        np.argsort(-counts, kind="stable")
    else:
        from services.ingest.taste import fit_taste

        model = fit_taste(matrix, dim, iterations=iterations)
        assert model.vectors.shape[1] == dim
    return {"seconds": time.perf_counter() - started, "peak_mb": peak_mb(), "loaded_mb": loaded_mb}


def run_step(kind: str, path: Path, dim: int = 0, iterations: int = 15) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.playlists", "--step", kind, "--file", str(path),
                          "--dim", str(dim), "--iterations", str(iterations)],
                         capture_output=True, text=True, check=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--playlists", type=int, default=115_071)
    parser.add_argument("--songs", type=int, default=700_000)
    parser.add_argument("--dims", default="32,64")
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--dim", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.file, args.dim, args.iterations)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.json"
        started = time.perf_counter()
        entries = write_synthetic(path, args.playlists, args.songs)
        print(f"synthetic train.json: {args.playlists:,} playlists, {entries:,} entries over {args.songs:,} songs, "
              f"{path.stat().st_size / 2**20:.0f} MB, written in {time.perf_counter() - started:.0f} s", flush=True)
        read = {kind: run_step(kind, path) for kind in ("json.load", "stream")}
        for kind, r in read.items():
            print(f"read {kind:10s} {r['seconds']:7.1f} s   peak {r['peak_mb']:7.0f} MB", flush=True)
        fits = {"popularity": run_step("popularity", path)}
        print(f"fit  popularity  {fits['popularity']['seconds']:7.1f} s   peak {fits['popularity']['peak_mb']:7.0f} MB",
              flush=True)
        for dim in (int(d) for d in args.dims.split(",")):
            fits[f"als-{dim}"] = r = run_step("als", path, dim, args.iterations)
            print(f"fit  ALS {dim:3d}     {r['seconds']:7.1f} s   peak {r['peak_mb']:7.0f} MB "
                  f"(loaded matrix {r['loaded_mb']:.0f} MB)", flush=True)
    ratios = {"stream_vs_json_load_seconds": read["stream"]["seconds"] / read["json.load"]["seconds"],
              "stream_vs_json_load_peak_mb": read["stream"]["peak_mb"] / read["json.load"]["peak_mb"],
              **{f"{k}_vs_popularity_seconds": v["seconds"] / fits["popularity"]["seconds"]
                 for k, v in fits.items() if k != "popularity"}}
    for name, value in ratios.items():
        print(f"{name:40s} {value:8.2f}x")
    path = save("playlists", {"scale": {"playlists": args.playlists, "songs": args.songs, "entries": entries,
                                        "iterations": args.iterations, "cores": os.cpu_count()},
                              "read": read, "fit": fits, "ratios": ratios})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

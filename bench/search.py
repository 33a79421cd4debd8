"""Catalog search against catalog size: Qdrant Edge vs qdrant-client local mode vs NumPy, side by side.

    python -m bench.search [--sizes 1000,100000,700000] [--engines edge,local-mode,numpy]
                           [--local-mode-max 700000] [--queries 300]

For each size, the same synthetic catalog (Dirichlet emotion vectors, a genre list and a year per
song, seed 0) is loaded into each engine through the store interface (services/common/catalog),
batches of 10,000, then the index built (`finish_bulk_load`), each engine in its own process so its
resident memory is its own. Then top-60 cosine searches for the same probes: p50, p99, and recall@60
against the exact answer (NumPy in float64). NumPy is the baseline: a normalised float32 matrix times
the query, argpartition. Goals at 700k (issue 12): Edge p50 <= 0.5x NumPy's, recall@60 >= 0.99, load +
index under 90 s, resident memory under 1 GB. Writes bench/results/search.json.
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

TOP = 60
GENRES = ["GN0100", "GN0200", "GN0300", "GN0400", "GN0500", "GN0600", "GN0700", "GN0800"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def catalog_vectors(size: int) -> np.ndarray:
    return np.random.default_rng(0).dirichlet(np.full(6, 0.5), size=size).astype(np.float32)


def probes(queries: int) -> np.ndarray:
    return np.random.default_rng(1).dirichlet(np.full(6, 0.5), size=queries)


def exact_top(vectors: np.ndarray, queries: np.ndarray) -> list[set[int]]:
    unit = vectors.astype(np.float64)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    out = []
    for q in queries:
        scores = unit @ (q / np.linalg.norm(q))
        out.append({int(i) + 1 for i in np.argpartition(-scores, TOP)[:TOP]})  # point id = row + 1
    return out


def load_store(store, vectors: np.ndarray, batch: int = 10_000) -> None:
    from services.common.catalog import StoredPoint

    store.ensure_schema()
    for start in range(0, len(vectors), batch):
        store.upsert_points([
            StoredPoint(start + i + 1, {"emotion": v.tolist()},
                        {"song_id": start + i + 1, "genres": [{"code": GENRES[(start + i) % 8], "name": ""}],
                         "issue_year": 1970 + (start + i) % 55})
            for i, v in enumerate(vectors[start:start + batch])])
    store.finish_bulk_load()


def one(engine: str, size: int, queries: int) -> dict:
    """One engine at one size, in this process (the parent runs each in a fresh child)."""
    vectors = catalog_vectors(size)
    qs = probes(queries)
    truth = exact_top(vectors, qs)
    from services.common.catalog.client import ClientStore
    from services.common.catalog.edge import EdgeStore

    base = rss_mb()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if engine == "numpy":
            unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

            def search(q):
                scores = unit @ (q / np.linalg.norm(q)).astype(np.float32)
                top = np.argpartition(-scores, TOP)[:TOP]
                return [int(i) + 1 for i in top[np.argsort(-scores[top])]]
            store = None
        else:
            store = EdgeStore(Path(tmp) / "edge") if engine == "edge" else ClientStore.local_mode(Path(tmp) / "local")
            load_store(store, vectors)

            def search(q):
                return [h.song_id for h in store.search([q], TOP, with_songs=False)[0]]
        load_s = time.perf_counter() - started
        loaded_rss = rss_mb()
        for q in qs[:10]:  # warm-up
            search(q)
        times, recall = [], []
        for q, want in zip(qs, truth):
            t = time.perf_counter()
            got = search(q)
            times.append(time.perf_counter() - t)
            recall.append(len(want & set(got)) / TOP)
        if store is not None:
            store.close()
    return {"engine": engine, "songs": size, "load_s": load_s, "p50_ms": float(np.median(times) * 1000),
            "p99_ms": float(np.quantile(times, 0.99) * 1000), "recall_at_60": float(np.mean(recall)),
            "rss_mb": loaded_rss, "rss_added_mb": loaded_rss - base}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000,700000")
    parser.add_argument("--engines", default="edge,local-mode,numpy")
    parser.add_argument("--local-mode-max", type=int, default=700_000,
                        help="skip local mode above this size (it takes ~11 minutes to load 700k)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--one", nargs=2, metavar=("ENGINE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), args.queries)))
        return

    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for engine in args.engines.split(","):
            if engine == "local-mode" and size > args.local_mode_max:
                print(f"{size:>9,} {engine:>10}: skipped (--local-mode-max {args.local_mode_max:,})", flush=True)
                continue
            # One BLAS thread: a query is one request on one core; threaded BLAS on a shared 2-core
            # machine measured the scheduler, not the scan.
            env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
            run = subprocess.run([sys.executable, "-m", "bench.search", "--one", engine, str(size),
                                  "--queries", str(args.queries)], capture_output=True, text=True, check=True, env=env)
            row = json.loads(run.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"{size:>9,} {engine:>10}: p50 {row['p50_ms']:8.3f} ms  p99 {row['p99_ms']:8.3f} ms  "
                  f"recall@60 {row['recall_at_60']:.3f}  load+index {row['load_s']:7.1f} s  "
                  f"RSS {row['rss_mb']:6.0f} MB (+{row['rss_added_mb']:.0f})", flush=True)
        by = {r["engine"]: r for r in rows if r["songs"] == size}
        if "numpy" in by:
            ratios = ", ".join(f"{e} p50 / NumPy {by[e]['p50_ms'] / by['numpy']['p50_ms']:.2f}x"
                               for e in by if e != "numpy")
            print(f"{size:>9,}   ratios: {ratios}", flush=True)
    path = save("search", {"rows": rows})
    print(f"saved {path}")


if __name__ == "__main__":
    main()

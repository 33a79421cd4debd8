"""`moodtune ingest --playlists train.json ...`: taste vectors and curated moods into the catalog.

Runs after the songs are in. Four steps, each resumable from `playlists/` in the job directory
(`MOODTUNE_INGEST_JOB_DIR` or `--job-dir`, beside a crawl's ledger; `--fresh` starts over; a
different set of files, or a different like weighting, starts over by itself):

1. read the files (streaming; `arena_playlists.py`), counting malformed rows and songs that are
   not in the catalog;
2. factorise (`taste.py`) → `taste.npz`;
3. classify each playlist's title + tags (`curated.py`), one batch at a time appended to
   `moods.f32`: a stopped run goes on from the last whole batch;
4. write each catalog song's `taste` vector and `curated_mood` payload, in id order, batches whole
   (`state.json` keeps the last id written).

Then the catalog version is bumped and `report.json` says what was read, written and how the lyric
labels agree with the curated moods. A progress bar runs on stderr for steps 3 and 4.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from services.classifier.client import connect as connect_classifier
from services.common import catalog, catalog_version
from services.common.catalog import CatalogStore
from services.common.catalog.schema import CURATED_MOOD, TASTE, TASTE_DIM, VECTORS
from services.common.labels import NUM_EMOTIONS
from services.common.settings import ClassifierSettings, IngestSettings
from services.ingest import curated
from services.ingest.arena_playlists import PlaylistMatrix
from services.ingest.taste import TasteModel, fit_taste

log = logging.getLogger(__name__)

WRITE_BATCH = 256
_ROW_BYTES = NUM_EMOTIONS * 4


class PlaylistIngestError(RuntimeError):
    """The playlists cannot be loaded as asked; the message says why."""


@dataclass
class PlaylistResult:
    report: dict
    catalog_version: int | None
    seconds: float


def _fingerprint(paths: list[Path], like_weight: bool) -> str:
    parts = [f"{p.resolve()}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in paths]
    return hashlib.sha1(json.dumps([parts, like_weight, TASTE_DIM]).encode()).hexdigest()


def _in_catalog(store: CatalogStore, ids: np.ndarray) -> np.ndarray:
    held: set[int] = set()
    for i in range(0, len(ids), 1000):
        held.update(p.id for p in store.retrieve_points([int(x) for x in ids[i:i + 1000]]))
    return np.fromiter((int(x) in held for x in ids), bool, len(ids))


class _State:
    def __init__(self, job: Path):
        self.path = job / "state.json"
        self.data = json.loads(self.path.read_text()) if self.path.exists() else {}

    def save(self, **changes) -> None:
        self.data.update(changes)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data))
        tmp.replace(self.path)


def _moods(job: Path, settings: IngestSettings, texts: list[str], progress) -> np.ndarray:
    """Every playlist's mood, classified in batches after those already in `moods.f32`."""
    path = job / "moods.f32"
    done = path.stat().st_size // _ROW_BYTES if path.exists() else 0
    with open(path, "ab") as out:
        out.truncate(done * _ROW_BYTES)  # a batch cut off mid-write is classified again
        if done < len(texts):
            classifier_settings = ClassifierSettings(**settings.model_dump(include=set(ClassifierSettings.model_fields)))
            classifier = connect_classifier(classifier_settings)
            try:
                size = classifier_settings.classifier_max_texts
                progress(done, len(texts))
                for first, moods in curated.classify_texts(classifier, texts, size, start=done):
                    out.write(moods.astype(np.float32).tobytes())
                    out.flush()
                    progress(first + len(moods), len(texts))
            finally:
                classifier.close()
    return np.fromfile(path, dtype=np.float32).reshape(-1, NUM_EMOTIONS)


def _write(store: CatalogStore, state: _State, taste: TasteModel, mood_ids: np.ndarray, moods: np.ndarray,
           counts: np.ndarray, held: np.ndarray, progress) -> dict:
    """Adds taste and curated mood to every catalog song that has either, in id order, from where it stopped."""
    ids = np.union1d(taste.song_ids, mood_ids)
    ids = ids[np.isin(ids, held)]
    last = state.data.get("last_written")
    if last is not None:  # progress against a catalog that was rebuilt since is no progress
        point = next(iter(store.retrieve_points([last])), None)
        if point is None or (TASTE not in point.vectors and CURATED_MOOD not in point.payload):
            last = None
    todo = ids if last is None else ids[ids > last]
    progress(len(ids) - len(todo), len(ids))
    mood_row = {int(s): i for i, s in enumerate(mood_ids)}
    for i in range(0, len(todo), WRITE_BATCH):
        batch = todo[i:i + WRITE_BATCH]
        found, rows = taste.lookup(batch)
        vectors = {int(s): taste.vectors[r] for s, r in zip(batch[found], rows)}
        points = []
        for point in store.retrieve_points([int(s) for s in batch]):
            if point.id in vectors:
                point.vectors[TASTE] = [float(v) for v in vectors[point.id]]
            if (m := mood_row.get(point.id)) is not None:
                point.payload[CURATED_MOOD] = {"probabilities": [round(float(v), 6) for v in moods[m]],
                                               "playlists": int(counts[m])}
            points.append(point)
        store.upsert_points(points)
        state.save(last_written=int(batch[-1]))
        progress(len(ids) - len(todo) + i + len(batch), len(ids))
    return {"songs_written": int(len(ids)), "songs_with_taste": int(np.isin(taste.song_ids, held).sum()),
            "songs_with_curated_mood": int(np.isin(mood_ids, held).sum())}


def _agreement(store: CatalogStore, mood_ids: np.ndarray, moods: np.ndarray, counts: np.ndarray) -> dict:
    lyrics: dict[int, np.ndarray] = {}
    for i in range(0, len(mood_ids), 1000):
        for song in store.retrieve([int(s) for s in mood_ids[i:i + 1000]]):
            if song.probabilities:
                lyrics[song.song_id] = np.asarray(song.probabilities)
    return curated.agreement(lyrics, {int(s): (moods[i], int(counts[i])) for i, s in enumerate(mood_ids)})


def run_playlists(settings: IngestSettings, paths: list[Path], *, job_dir: Path | None = None, fresh: bool = False,
                  like_weight: bool = False, progress=None, store: CatalogStore | None = None) -> PlaylistResult:
    """Loads the playlist files into the catalog (see the module doc); `store`: an already open one."""
    started = time.time()
    paths = [Path(p) for p in paths]
    for p in paths:
        if not p.is_file():
            raise PlaylistIngestError(f"{p}: no such playlist file")
    job = Path(job_dir) if job_dir else Path(settings.ingest_job_dir) / "playlists"
    fingerprint = _fingerprint(paths, like_weight)
    if job.exists() and (fresh or _State(job).data.get("source") != fingerprint):
        shutil.rmtree(job)
    job.mkdir(parents=True, exist_ok=True)
    state = _State(job)
    state.save(source=fingerprint)
    bar = progress or (lambda label: (lambda done, total: None))

    own = store is None
    store = store or catalog.connect(settings)
    try:
        if store.count() == 0:
            raise PlaylistIngestError("the catalog is empty: ingest the songs first (moodtune ingest --songs ...)")
        store.ensure_schema(vectors={**VECTORS, TASTE: TASTE_DIM}, shards=settings.qdrant_shards,
                            replication_factor=settings.qdrant_replication_factor)
        held = np.zeros(0, np.int64)

        def in_catalog(ids: np.ndarray) -> np.ndarray:  # asked once, for the distinct songs of the files
            nonlocal held
            mask = _in_catalog(store, ids)
            held = ids[mask]
            return mask

        matrix = PlaylistMatrix.read(paths, in_catalog=in_catalog)
        read = matrix.report
        print(f"playlists: {read.line()}", file=sys.stderr)
        for error in read.errors:
            print(f"playlists: skipped {error}", file=sys.stderr)
        if not len(matrix):
            raise PlaylistIngestError(f"no playlists in {', '.join(map(str, paths))}")

        taste_path = job / "taste.npz"
        if taste_path.exists():
            taste = TasteModel.load(taste_path)
        else:
            fit_started = time.time()
            print(f"playlists: factorising {len(matrix):,} playlists x {read.distinct_songs:,} songs "
                  f"({TASTE_DIM} dimensions; minutes at Kakao Arena's scale)", file=sys.stderr, flush=True)
            taste = fit_taste(matrix, like_weight=like_weight)
            taste.save(taste_path)
            state.save(fit_seconds=round(time.time() - fit_started, 1))

        moods = _moods(job, settings, matrix.texts, bar("playlists: reading moods"))
        mood_ids, song_moods, counts = curated.curated_moods(matrix, moods)
        written = _write(store, state, taste, mood_ids, song_moods, counts, held, bar("playlists: writing songs"))
        kept = np.isin(mood_ids, held)
        agreement = _agreement(store, mood_ids[kept], song_moods[kept], counts[kept])
        version = catalog_version.bump(settings.redis_url, settings.redis_password)
        store.finish_bulk_load()
        report = {"read": asdict(read), **written, "catalog_songs": store.count(), "taste_dim": TASTE_DIM,
                  "like_weight": like_weight, "fit_seconds": state.data.get("fit_seconds"),
                  "playlists_with_mood": int((~np.isnan(moods).any(axis=1)).sum()), "agreement": agreement}
    finally:
        if own:
            store.close()
    result = PlaylistResult(report, version, round(time.time() - started, 1))
    (job / "report.json").write_text(json.dumps({**report, "seconds": result.seconds}, ensure_ascii=False, indent=2))
    print(f"playlists report: {written['songs_with_taste']} songs with taste, {written['songs_with_curated_mood']} "
          f"with a curated mood, of {report['catalog_songs']} in the catalog · lyric labels agree with the curated "
          f"mood on {agreement['agreement']} of {agreement['songs']} songs · {result.seconds:.0f} s", file=sys.stderr)
    return result

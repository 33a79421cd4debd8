"""The embedded catalog: a Qdrant Edge shard (qdrant-edge-py, Qdrant's Rust engine in-process).

Same engine and segment format as a Qdrant server shard: HNSW, payload indexes, filters. One process
at a time (the shard's write-ahead log is locked). Writes go to an appendable segment; `optimize()`
builds the HNSW index, so bulk loads call it once at the end (`finish_bulk_load`), never per batch.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import qdrant_edge as qe

from services.common.catalog.schema import (
    INDEXED, VECTOR, VECTORS, CatalogUnavailable, Hit, SearchFilter, Song, StoredPoint, StoreInfo,
)
from services.common.catalog.store import CatalogStore

log = logging.getLogger(__name__)

CONFIG_FILE = "edge_config.json"  # what marks a directory as an Edge shard
# Segments above this many KB of vectors get an HNSW index, and searches use it (below: exact scan,
# which is faster there). 500 KB is ~20,000 songs of 6-d vectors; the engine's default (10 MB, ~400,000
# songs) left a 100,000-song catalog on a scan slower than NumPy's (bench/search.py).
INDEX_ABOVE_KB = 500
_SCHEMA_TYPES = {"keyword": qe.PayloadSchemaType.Keyword, "integer": qe.PayloadSchemaType.Integer}


def is_edge_shard(path: Path) -> bool:
    return (path / CONFIG_FILE).is_file()


def _filter(f: SearchFilter | None) -> qe.Filter | None:
    if not f:
        return None
    must, must_not = [], []
    if f.genres:
        must.append(qe.FieldCondition(key="genres[].code", match=qe.MatchAny(any=list(f.genres))))
    if f.year_from or f.year_to:
        must.append(qe.FieldCondition(key="issue_year", range=qe.RangeFloat(
            gte=f.year_from or None, lte=f.year_to or None)))
    if f.labels:
        must.append(qe.FieldCondition(key="label", match=qe.MatchAny(any=list(f.labels))))
    if f.exclude:
        must_not.append(qe.HasIdCondition(point_ids=set(f.exclude)))
    return qe.Filter(must=must or None, must_not=must_not or None)


class EdgeStore(CatalogStore):
    engine = "qdrant-edge"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.location = str(self.path)
        self._shard: qe.EdgeShard | None = None
        self._lock = threading.Lock()  # one writer at a time; searches run unlocked (the engine is thread-safe)
        if is_edge_shard(self.path):
            self._shard = self._call(qe.EdgeShard.load, str(self.path))

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except Exception as exc:  # the engine raises bare Exception("Service runtime error: ...")
            text = str(exc)
            if "WouldBlock" in text:
                raise CatalogUnavailable(
                    f"the embedded catalog at {self.path} is open in another process; stop it first, "
                    "or run a Qdrant server and set MOODTUNE_QDRANT_URL") from exc
            raise CatalogUnavailable(f"the embedded catalog at {self.path}: {text}") from exc

    @property
    def shard(self) -> qe.EdgeShard:
        if self._shard is None:
            raise CatalogUnavailable(f"the embedded catalog at {self.path} has no collection yet (ingest first)")
        return self._shard

    def ensure_schema(self, vectors: dict[str, int] = VECTORS, shards: int = 1, replication_factor: int = 1) -> None:
        with self._lock:
            if self._shard is None:
                config = qe.EdgeConfig(
                    vectors={name: qe.EdgeVectorParams(size=size, distance=qe.Distance.Cosine)
                             for name, size in vectors.items()},
                    # payload_m=0: no extra graph per genre / label value (it tripled the build time;
                    # filtered searches use the payload indexes either way).
                    hnsw_config=qe.HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=INDEX_ABOVE_KB,
                                                   payload_m=0),
                    optimizers=qe.EdgeOptimizersConfig(indexing_threshold=INDEX_ABOVE_KB))
                self._shard = self._call(qe.EdgeShard.create, str(self.path), config)
                log.info("created the embedded catalog", extra={"path": str(self.path)})
            else:
                for name, size in vectors.items():
                    have = self._vectors().get(name)
                    if have is None:
                        self._call(self.shard.update, qe.UpdateOperation.create_dense_vector(name, size, qe.Distance.Cosine))
                    elif have != size:
                        raise CatalogUnavailable(f"the catalog's vector {name!r} has {have} dimensions, not {size}")
            have_indexes = set(self.shard.info().payload_schema)
            for field_name, kind in INDEXED.items():
                if field_name not in have_indexes:
                    self._call(self.shard.update, qe.UpdateOperation.create_field_index(field_name, _SCHEMA_TYPES[kind]))

    def _vectors(self) -> dict[str, int]:
        config = json.loads((self.path / CONFIG_FILE).read_text())
        return {name: params["size"] for name, params in config.get("vectors", {}).items()}

    def upsert_points(self, points: Sequence[StoredPoint]) -> None:
        if not points:
            return
        batch = [qe.Point(p.id, p.vectors, p.payload) for p in points]
        with self._lock:
            try:
                self.shard.update(qe.UpdateOperation.upsert_points(batch))
            except Exception as exc:
                raise CatalogUnavailable(f"the embedded catalog refused a batch of {len(batch)} songs: {exc}") from exc

    def search(self, vectors: Sequence[Sequence[float]], limit: int, filter: SearchFilter | None = None,
               using: str = VECTOR, with_songs: bool = True) -> list[list[Hit]]:
        qfilter = _filter(filter)
        requests = [qe.QueryRequest(limit=limit, query=qe.Query.Nearest(list(map(float, v)), using=using),
                                    filter=qfilter, with_payload=with_songs, with_vector=with_songs)
                    for v in vectors]
        if self._shard is None:
            return [[] for _ in requests]
        if len(requests) == 1:
            results = [self._call(self.shard.query, requests[0])]
        else:
            results = self._call(self.shard.query_batch, qe.QueryBatchRequest(requests))
        return [[Hit.of(p, with_songs) for p in points] for points in results]

    def retrieve_points(self, ids: Sequence[int]) -> list[StoredPoint]:
        if self._shard is None or not ids:
            return []
        return [StoredPoint.of(r) for r in self._call(self.shard.retrieve, list(ids), True, True)]

    def count(self) -> int:
        return 0 if self._shard is None else self._call(self.shard.count, qe.CountRequest(exact=True))

    def scroll(self, offset: int | None, limit: int) -> tuple[list[StoredPoint], int | None]:
        if self._shard is None:
            return [], None
        records, next_offset = self._call(self.shard.scroll, qe.ScrollRequest(
            offset=offset, limit=limit, with_payload=True, with_vector=True))
        return [StoredPoint.of(r) for r in records], None if next_offset is None else int(next_offset)

    def delete(self, ids: Sequence[int]) -> None:
        if self._shard is not None and ids:
            with self._lock:
                self._call(self.shard.update, qe.UpdateOperation.delete_points(list(ids)))

    def finish_bulk_load(self) -> None:
        if self._shard is not None:
            with self._lock:
                self._call(self.shard.optimize)
                self._call(self.shard.flush)

    def info(self) -> StoreInfo:
        if self._shard is None:
            return StoreInfo(self.engine, self.location, 0, {}, 0, [])
        info = self.shard.info()
        return StoreInfo(self.engine, self.location, self.count(), self._vectors(),
                         info.indexed_vectors_count, sorted(info.payload_schema))

    def close(self) -> None:
        if self._shard is not None:
            with self._lock:
                self._shard.flush()
                self._shard.close()
                self._shard = None

"""The catalog on qdrant-client: a Qdrant server or cluster (URL + API key), or qdrant-client's local mode.

Local mode (a Python brute force over SQLite) is what earlier versions used as the embedded store; it
stays here to read such stores (migration, `catalog copy`) and as the stand-in for a server in tests.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

from qdrant_client import QdrantClient, models

from services.common.catalog.schema import (
    COLLECTION, INDEXED, VECTOR, VECTORS, CatalogUnavailable, Hit, SearchFilter, Song, StoredPoint, StoreInfo,
)
from services.common.catalog.store import CatalogStore

_SCHEMA_TYPES = {"keyword": models.PayloadSchemaType.KEYWORD, "integer": models.PayloadSchemaType.INTEGER}


def is_local_mode_store(path: Path) -> bool:
    """A directory written by qdrant-client's local mode (`meta.json` + `collection/<name>/storage.sqlite`)."""
    return (path / "meta.json").is_file() and (path / "collection").is_dir()


def _filter(f: SearchFilter | None) -> models.Filter | None:
    if not f:
        return None
    must, must_not = [], []
    if f.genres:
        must.append(models.FieldCondition(key="genres[].code", match=models.MatchAny(any=list(f.genres))))
    if f.year_from or f.year_to:
        must.append(models.FieldCondition(key="issue_year", range=models.Range(
            gte=f.year_from or None, lte=f.year_to or None)))
    if f.labels:
        must.append(models.FieldCondition(key="label", match=models.MatchAny(any=list(f.labels))))
    if f.exclude:
        must_not.append(models.HasIdCondition(has_id=sorted(f.exclude)))
    return models.Filter(must=must or None, must_not=must_not or None)


class ClientStore(CatalogStore):
    def __init__(self, client: QdrantClient, engine: str, location: str):
        self.client = client
        self.engine = engine
        self.location = location
        # Local mode is one in-process SQLite store, not thread-safe: its calls are serialised.
        self._lock = threading.Lock() if engine == "qdrant-local-mode" else nullcontext()

    @classmethod
    def server(cls, url: str, api_key: str | None = None) -> "ClientStore":
        return cls(QdrantClient(url=url, api_key=api_key, timeout=10), "qdrant-server", url)

    @classmethod
    def local_mode(cls, path: Path | str) -> "ClientStore":
        location = str(path)
        if location != ":memory:":
            Path(location).mkdir(parents=True, exist_ok=True)
        try:
            client = QdrantClient(location=":memory:") if location == ":memory:" else QdrantClient(path=location)
        except RuntimeError as exc:  # qdrant-client's lock: another process has the store open
            raise CatalogUnavailable(f"the local-mode store at {location} is open in another process ({exc})") from exc
        except Exception as exc:  # a damaged store: unreadable SQLite, broken meta.json
            raise CatalogUnavailable(f"the local-mode store at {location} cannot be read: {exc}") from exc
        return cls(client, "qdrant-local-mode", location)

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            with self._lock:
                return fn(*args, **kwargs)
        except CatalogUnavailable:
            raise
        except Exception as exc:  # connection refused, timeouts, a refused request
            raise CatalogUnavailable(f"the catalog (Qdrant at {self.location}) could not {what}: {exc}") from exc

    def ensure_schema(self, vectors: dict[str, int] = VECTORS, shards: int = 1, replication_factor: int = 1) -> None:
        if not self._call("be reached", self.client.collection_exists, COLLECTION):
            cluster = {"shard_number": shards, "replication_factor": replication_factor} \
                if shards > 1 or replication_factor > 1 else {}
            self._call("create the collection", self.client.create_collection, COLLECTION, vectors_config={
                name: models.VectorParams(size=size, distance=models.Distance.COSINE) for name, size in vectors.items()
            }, **cluster)
        else:
            have = self._vectors()
            missing = {name: size for name, size in vectors.items() if name not in have}
            wrong = [name for name, size in vectors.items() if name in have and have[name] != size]
            if wrong or missing:
                raise CatalogUnavailable(
                    f"the collection {COLLECTION!r} at {self.location} has vectors {have}, this version needs "
                    f"{dict(vectors)}: copy it into a new collection with `moodtune catalog copy`")
        with warnings.catch_warnings():
            # Local mode filters without indexes and says so on every call; servers use them.
            warnings.simplefilter("ignore", UserWarning)
            for field_name, kind in INDEXED.items():
                self._call("index the payload", self.client.create_payload_index, COLLECTION, field_name,
                           field_schema=_SCHEMA_TYPES[kind])

    def _vectors(self) -> dict[str, int]:
        config = self._call("describe the collection", self.client.get_collection, COLLECTION).config.params.vectors
        if isinstance(config, models.VectorParams):
            return {"": config.size}
        return {name: params.size for name, params in (config or {}).items()}

    def upsert_points(self, points: Sequence[StoredPoint]) -> None:
        if not points:
            return
        batch = [models.PointStruct(id=p.id, vector=p.vectors, payload=p.payload) for p in points]
        self._call(f"store a batch of {len(batch)} songs", self.client.upsert, COLLECTION, points=batch, wait=True)

    def search(self, vectors: Sequence[Sequence[float]], limit: int, filter: SearchFilter | None = None,
               using: str = VECTOR, with_songs: bool = True) -> list[list[Hit]]:
        qfilter = _filter(filter)
        requests = [models.QueryRequest(query=list(map(float, v)), using=using, limit=limit, filter=qfilter,
                                        with_payload=with_songs, with_vector=with_songs) for v in vectors]
        responses = self._call("search", self.client.query_batch_points, COLLECTION, requests=requests)
        return [[Hit.of(p, with_songs) for p in r.points] for r in responses]

    def retrieve_points(self, ids: Sequence[int]) -> list[StoredPoint]:
        if not ids:
            return []
        records = self._call("read songs", self.client.retrieve, COLLECTION, ids=list(ids),
                             with_payload=True, with_vectors=True)
        return [StoredPoint.of(r) for r in records]

    def count(self) -> int:
        if not self._call("be reached", self.client.collection_exists, COLLECTION):
            return 0
        return self._call("count", self.client.count, COLLECTION, exact=True).count

    def scroll(self, offset: int | None, limit: int) -> tuple[list[StoredPoint], int | None]:
        records, next_offset = self._call("read a page", self.client.scroll, COLLECTION, offset=offset, limit=limit,
                                          with_payload=True, with_vectors=True)
        return [StoredPoint.of(r) for r in records], None if next_offset is None else int(next_offset)

    def delete(self, ids: Sequence[int]) -> None:
        if ids:
            self._call("delete", self.client.delete, COLLECTION,
                       points_selector=models.PointIdsList(points=list(ids)), wait=True)

    def info(self) -> StoreInfo:
        if not self._call("be reached", self.client.collection_exists, COLLECTION):
            return StoreInfo(self.engine, self.location, 0, {}, 0, [])
        collection = self._call("describe the collection", self.client.get_collection, COLLECTION)
        indexed = None if self.engine == "qdrant-local-mode" else collection.indexed_vectors_count
        return StoreInfo(self.engine, self.location, self.count(), self._vectors(), indexed,
                         sorted(collection.payload_schema or {}))

    def close(self) -> None:
        self.client.close()

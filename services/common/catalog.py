"""The song catalog in Qdrant (DESIGN.md, "Qdrant"): schema, connection, writes and reads.

Collection `songs`, one named vector `emotion` (6-d, cosine). Point id = the
catalog's song id, so a re-ingest overwrites instead of duplicating.
Ingest writes here; the recommender reads.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from qdrant_client import QdrantClient, models

from services.common.labels import NUM_EMOTIONS
from services.common.settings import CommonSettings

log = logging.getLogger(__name__)

COLLECTION = "songs"
VECTOR = "emotion"
INDEXED = {
    "genres[].code": models.PayloadSchemaType.KEYWORD,
    "issue_year": models.PayloadSchemaType.INTEGER,
    "label": models.PayloadSchemaType.KEYWORD,
}


@dataclass(frozen=True)
class Genre:
    code: str
    name: str


@dataclass
class Song:
    """One point's payload, plus its vector."""

    song_id: int
    title: str
    artists: list[str]
    album: str
    genres: list[Genre]
    issue_year: int | None
    probabilities: list[float]  # the vector, canonical order
    label: str
    highlight: str
    source_url: str
    model_version: str
    melon_song_id: int | None = None
    ingested_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def payload(self) -> dict:
        payload = asdict(self)
        del payload["probabilities"]
        return payload

    @classmethod
    def from_point(cls, point) -> "Song":
        payload = dict(point.payload)
        payload["genres"] = [Genre(**g) for g in payload.get("genres", [])]
        vector = point.vector[VECTOR] if isinstance(point.vector, dict) else point.vector
        # Qdrant stores cosine vectors L2-normalised; the probabilities are the same direction
        # scaled to sum 1, so they come back exactly without a copy in the payload.
        total = sum(vector or ()) or 1.0
        return cls(probabilities=[v / total for v in vector or ()], **payload)


class CatalogUnavailable(RuntimeError):
    """Qdrant could not be reached or refused the operation."""


def connect(settings: CommonSettings) -> QdrantClient:
    """A Qdrant server when MOODTUNE_QDRANT_URL is set, else the embedded store (one process at a time)."""
    if settings.qdrant_url:
        return QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key, timeout=10)
    path = Path(settings.qdrant_path)
    path.mkdir(parents=True, exist_ok=True)
    try:
        return QdrantClient(path=str(path))
    except RuntimeError as exc:  # qdrant-client's lock: another process has the embedded store open
        raise CatalogUnavailable(
            f"the embedded Qdrant store at {path} is open in another process ({exc}); "
            "stop it first, or run a Qdrant server and set MOODTUNE_QDRANT_URL"
        ) from exc


def ensure_collection(client: QdrantClient, shards: int = 1, replication_factor: int = 1) -> None:
    """Creates the collection when missing; shards and replicas matter on a Qdrant cluster only."""
    if not client.collection_exists(COLLECTION):
        cluster = {"shard_number": shards, "replication_factor": replication_factor} if shards > 1 or replication_factor > 1 else {}
        client.create_collection(
            COLLECTION,
            vectors_config={VECTOR: models.VectorParams(size=NUM_EMOTIONS, distance=models.Distance.COSINE)},
            **cluster,
        )
        log.info("created collection", extra={"collection": COLLECTION})
    with warnings.catch_warnings():
        # The embedded store filters without indexes and says so on every call; servers use them.
        warnings.simplefilter("ignore", UserWarning)
        for field_name, schema in INDEXED.items():
            client.create_payload_index(COLLECTION, field_name, field_schema=schema)


def upsert(client: QdrantClient, songs: list[Song]) -> None:
    """One request for the whole batch, waited for: it is written entirely or not at all."""
    if not songs:
        return
    points = [
        models.PointStruct(id=s.song_id, vector={VECTOR: s.probabilities}, payload=s.payload()) for s in songs
    ]
    try:
        client.upsert(COLLECTION, points=points, wait=True)
    except Exception as exc:
        raise CatalogUnavailable(f"Qdrant refused a batch of {len(points)} songs: {exc}") from exc


def count(client: QdrantClient) -> int:
    if not client.collection_exists(COLLECTION):
        return 0
    return client.count(COLLECTION, exact=True).count


def get(client: QdrantClient, song_ids: list[int]) -> list[Song]:
    points = client.retrieve(COLLECTION, ids=song_ids, with_payload=True, with_vectors=True)
    return [Song.from_point(p) for p in points]

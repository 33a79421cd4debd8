"""The one catalog interface that ingest, the recommender, the CLI and the benches use.

Two engines implement it: Qdrant Edge in-process (`edge.py`, the embedded default) and qdrant-client
(`client.py`, a Qdrant server or cluster; its local mode reads stores written by earlier versions).
Nothing above this interface knows which one it talks to.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from services.common.catalog.schema import VECTOR, VECTORS, Hit, SearchFilter, Song, StoredPoint, StoreInfo


class CatalogStore(ABC):
    engine: str
    location: str

    @abstractmethod
    def ensure_schema(self, vectors: dict[str, int] = VECTORS, shards: int = 1, replication_factor: int = 1) -> None:
        """Creates the collection and its payload indexes when missing, adds missing named vectors.

        Shards and replicas matter on a Qdrant cluster only."""

    @abstractmethod
    def upsert_points(self, points: Sequence[StoredPoint]) -> None:
        """One write for the whole batch, waited for: it is stored entirely or not at all."""

    def upsert(self, songs: Sequence[Song]) -> None:
        if songs:
            self.upsert_points([s.point() for s in songs])

    @abstractmethod
    def search(self, vectors: Sequence[Sequence[float]], limit: int, filter: SearchFilter | None = None,
               using: str = VECTOR, with_songs: bool = True) -> list[list[Hit]]:
        """Top `limit` by cosine for each query vector, in one call; best first."""

    @abstractmethod
    def retrieve_points(self, ids: Sequence[int]) -> list[StoredPoint]:
        """The points among `ids` that exist (every vector, full payload)."""

    def retrieve(self, ids: Sequence[int]) -> list[Song]:
        return [Song.from_point(p) for p in self.retrieve_points(ids)]

    @abstractmethod
    def count(self) -> int:
        """Exact number of points; 0 when the collection does not exist yet."""

    @abstractmethod
    def scroll(self, offset: int | None, limit: int) -> tuple[list[StoredPoint], int | None]:
        """Points in id order from `offset` (None = the start), and the offset of the next page (None = done)."""

    @abstractmethod
    def delete(self, ids: Sequence[int]) -> None: ...

    def finish_bulk_load(self) -> None:
        """Builds the search index after a bulk load (embedded); a server indexes in the background."""

    @abstractmethod
    def info(self) -> StoreInfo: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> "CatalogStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

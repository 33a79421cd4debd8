"""The song catalog (DESIGN.md, "Qdrant"): one store interface, two engines.

    store = catalog.connect(settings)   # Qdrant Edge at MOODTUNE_QDRANT_PATH, or a server at MOODTUNE_QDRANT_URL
    store.ensure_schema(); store.upsert(songs); store.search([vector], 60, SearchFilter(...))

Ingest writes here; the recommender reads. Callers see `CatalogStore` only, never the engine.
"""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

from services.common.catalog.client import ClientStore, is_local_mode_store
from services.common.catalog.copy import CopyResult, copy_catalog, progress_bar
from services.common.catalog.edge import EdgeStore, is_edge_shard
from services.common.catalog.schema import (
    COLLECTION, INDEXED, VECTOR, VECTORS, CatalogUnavailable, Genre, Hit, SearchFilter, Song, StoredPoint, StoreInfo,
)
from services.common.catalog.store import CatalogStore
from services.common.settings import CommonSettings

__all__ = [
    "COLLECTION", "INDEXED", "VECTOR", "VECTORS", "CatalogStore", "CatalogUnavailable", "CopyResult", "Genre", "Hit",
    "SearchFilter", "Song", "StoreInfo", "StoredPoint", "connect", "copy_catalog", "migrate_local_mode",
    "open_location", "progress_bar",
]

log = logging.getLogger(__name__)

LOCAL_MODE_PREFIX = "local:"  # `catalog copy --to local:DIR` writes qdrant-client's local mode
BACKUP_SUFFIX = ".local-mode-backup"


def connect(settings: CommonSettings) -> CatalogStore:
    """A Qdrant server when MOODTUNE_QDRANT_URL is set, else the embedded Edge shard (one process at a time).

    An embedded directory written by an earlier version (qdrant-client's local mode) is migrated into
    Edge first, the old directory kept beside it."""
    if settings.qdrant_url:
        return ClientStore.server(settings.qdrant_url, settings.qdrant_api_key)
    path = Path(settings.qdrant_path)
    if is_local_mode_store(path):
        migrate_local_mode(path)
    return EdgeStore(path)


def open_location(location: str, api_key: str | None = None) -> CatalogStore:
    """`http(s)://...` = a server; `local:DIR` = qdrant-client local mode; a directory = Edge
    (or, when it holds a local-mode store from an earlier version, that store, read as it is)."""
    if location.startswith(("http://", "https://")):
        return ClientStore.server(location, api_key)
    if location.startswith(LOCAL_MODE_PREFIX):
        return ClientStore.local_mode(location[len(LOCAL_MODE_PREFIX):])
    path = Path(location)
    if is_local_mode_store(path):
        return ClientStore.local_mode(path)
    return EdgeStore(path)


def migrate_local_mode(path: Path) -> CopyResult:
    """Moves an old local-mode store aside (`<path>.local-mode-backup`) and copies it into an Edge shard at `path`.

    On any failure the old store is put back where it was and the half-written shard removed."""
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    n = 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}{BACKUP_SUFFIX}-{n}")
    print(f"moodtune: {path} holds a catalog from an earlier version (qdrant-client local mode); migrating it "
          f"into the embedded engine (Qdrant Edge), the old store kept as {backup}", file=sys.stderr)
    path.rename(backup)
    source = None
    try:
        source = ClientStore.local_mode(backup)
        with EdgeStore(path) as target:
            result = copy_catalog(source, target, progress=progress_bar("moodtune: migrating"))
    except BaseException as exc:
        if source is not None:
            source.close()
        shutil.rmtree(path, ignore_errors=True)
        backup.rename(path)
        if isinstance(exc, CatalogUnavailable):
            raise CatalogUnavailable(
                f"{exc}. The old store is back at {path}; to rebuild the catalog instead: "
                f"mv {path} {backup} && moodtune ingest --demo (or --songs with your song list)") from exc
        raise
    source.close()
    print(f"moodtune: migrated {result.target_count} songs into {path}", file=sys.stderr)
    return result

"""Moving a catalog between stores (`moodtune catalog copy`, and the migration of old local-mode stores).

Batched scroll + upsert in id order. Resumable: ids are written in increasing order, each batch whole
or not at all, so a copy that was stopped starts again just past the target's highest id (a target
that already held other songs is therefore topped up past its highest id, not merged). Ends with a
count check.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from services.common.catalog.schema import VECTORS, CatalogUnavailable
from services.common.catalog.store import CatalogStore


@dataclass(frozen=True)
class CopyResult:
    copied: int
    skipped: int  # already in the target from an earlier, stopped copy
    source_count: int
    target_count: int


def _last_id(store: CatalogStore, batch: int) -> int | None:
    last, offset = None, None
    while True:
        points, offset = store.scroll(offset, batch)
        if points:
            last = points[-1].id
        if offset is None:
            return last


def copy_catalog(source: CatalogStore, target: CatalogStore, batch: int = 1000,
                 progress: Callable[[int, int], None] | None = None) -> CopyResult:
    """Copies every point (all named vectors, full payload); raises CatalogUnavailable on a count mismatch."""
    total = source.count()
    vectors = source.info().vectors or VECTORS
    target.ensure_schema(vectors)
    # Scroll offsets are point ids (the first id of the page): resume just past the target's last one.
    last = _last_id(target, batch)
    offset = None if last is None else last + 1
    skipped = target.count()
    done, copied = skipped, 0
    if progress:
        progress(done, total)
    while True:
        points, offset = source.scroll(offset, batch)
        target.upsert_points(points)
        copied += len(points)
        done += len(points)
        if progress:
            progress(done, total)
        if offset is None:
            break
    target.finish_bulk_load()
    result = CopyResult(copied, skipped, total, target.count())
    if result.target_count != total:
        raise CatalogUnavailable(f"copy finished with {result.target_count} points in {target.location}, "
                                 f"the source has {total}")
    return result


def progress_bar(label: str) -> Callable[[int, int], None]:
    """A one-line progress bar on stderr."""
    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        print(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}", end="",
              file=sys.stderr, flush=True)
        if done >= total:
            print(file=sys.stderr)
    return show

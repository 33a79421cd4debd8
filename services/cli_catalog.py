"""`moodtune catalog info|copy`: what a catalog holds, and moving it between machines.

    moodtune catalog info [--at PATH|URL]
    moodtune catalog copy --from PATH|URL --to PATH|URL [--batch N]

PATH is an embedded catalog directory (Qdrant Edge; one written by an earlier version, in
qdrant-client's local mode, is read as it is); `local:PATH` is qdrant-client's local mode; URL is
a Qdrant server or cluster (API key from MOODTUNE_QDRANT_API_KEY).
"""

from __future__ import annotations

import argparse
import sys

from services.common.settings import CommonSettings


def _describe(store, settings: CommonSettings) -> list[str]:
    from services.common import catalog_version

    info = store.info()
    version = catalog_version.read(settings.redis_url, settings.redis_password)
    vectors = ", ".join(f"{name} ({size})" for name, size in info.vectors.items()) or "none (no collection yet)"
    return [
        f"engine:           {info.engine}",
        f"location:         {info.location}",
        f"songs:            {info.points:,}",
        f"vectors:          {vectors}",
        f"search index:     {info.indexed}" + (f" ({info.indexed_vectors:,} vectors in HNSW)"
                                               if info.indexed_vectors else ""),
        f"payload indexes:  {', '.join(info.payload_indexes) or 'none'}",
        f"catalog version:  {'unknown (Redis unreachable)' if version is None else version}",
    ]


def cmd_info(args: argparse.Namespace) -> int:
    from services.common import catalog

    settings = CommonSettings()
    try:
        store = catalog.open_location(args.at, settings.qdrant_api_key) if args.at else catalog.connect(settings)
        with store:
            print("\n".join(_describe(store, settings)))
    except catalog.CatalogUnavailable as exc:
        print(f"moodtune: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_copy(args: argparse.Namespace) -> int:
    from services.common import catalog

    if args.source == args.target:
        print("moodtune: --from and --to are the same catalog", file=sys.stderr)
        return 2
    if args.batch < 1:
        print(f"moodtune: --batch must be at least 1, not {args.batch}", file=sys.stderr)
        return 2
    key = CommonSettings().qdrant_api_key
    try:
        with catalog.open_location(args.source, key) as source:
            if source.count() == 0:
                print(f"moodtune: {args.source} holds no songs: nothing to copy", file=sys.stderr)
                return 1
            with catalog.open_location(args.target, key) as target:
                result = catalog.copy_catalog(source, target, args.batch, catalog.progress_bar("copying"))
    except catalog.CatalogUnavailable as exc:
        print(f"\nmoodtune: {exc}", file=sys.stderr)
        return 1
    resumed = f" ({result.skipped:,} were already there from an earlier copy)" if result.skipped else ""
    print(f"copied {result.copied:,} songs{resumed}: {args.target} now holds {result.target_count:,}, "
          f"as many as {args.source}")
    return 0


def add_commands(commands) -> None:
    parser = commands.add_parser("catalog", help="the song catalog: info, copy between stores")
    sub = parser.add_subparsers(dest="catalog_command", required=True)
    info = sub.add_parser("info", help="engine, songs, vectors, index state, catalog version")
    info.add_argument("--at", metavar="PATH|URL", help="another catalog than MOODTUNE_QDRANT_PATH/URL")
    info.set_defaults(func=cmd_info)
    copy = sub.add_parser("copy", help="copy every song between catalogs (resumable: rerun to continue)")
    copy.add_argument("--from", dest="source", required=True, metavar="PATH|URL")
    copy.add_argument("--to", dest="target", required=True, metavar="PATH|URL")
    copy.add_argument("--batch", type=int, default=1000, help="songs per scroll page and upsert")
    copy.set_defaults(func=cmd_copy)

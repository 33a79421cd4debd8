"""`moodtune ingest --playlists FILE ...` and `moodtune playlists eval FILE ...`.

    moodtune ingest --playlists train.json [--like-weight] [--job-dir DIR] [--fresh]
    moodtune playlists eval train.json [--dim N]     # Arena-style nDCG / recall, taste vs popularity, as JSON
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from services.common.settings import IngestSettings


def ingest_playlists(settings: IngestSettings, paths: list[Path], *, fresh: bool = False,
                     like_weight: bool = False) -> int:
    from services.common.catalog import CatalogUnavailable, progress_bar
    from services.ingest.arena_playlists import PlaylistFileError
    from services.ingest.playlist_job import PlaylistIngestError, run_playlists

    try:
        run_playlists(settings, paths, fresh=fresh, like_weight=like_weight, progress=progress_bar)
    except (PlaylistFileError, PlaylistIngestError, CatalogUnavailable) as exc:
        print(f"moodtune: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from services.ingest.arena_playlists import PlaylistFileError, PlaylistMatrix
    from services.ingest.taste import evaluate

    try:
        matrix = PlaylistMatrix.read(args.files)
    except PlaylistFileError as exc:
        print(f"moodtune: {exc}", file=sys.stderr)
        return 1
    print(f"playlists: {matrix.report.line()}", file=sys.stderr)
    print(json.dumps(evaluate(matrix, args.dim).as_dict(), indent=2))
    return 0


def add_commands(commands) -> None:
    from services.common.catalog.schema import TASTE_DIM

    playlists = commands.add_parser("playlists", help="Kakao Arena playlists: evaluate taste vectors")
    sub = playlists.add_subparsers(dest="playlists_command", required=True)
    ev = sub.add_parser("eval", help="hold out half of a fifth of the playlists' songs; taste vs popularity")
    ev.add_argument("files", type=Path, nargs="+", metavar="FILE", help="train.json, val.json, ...")
    ev.add_argument("--dim", type=int, default=TASTE_DIM, help=f"factors (default {TASTE_DIM}, the catalog's)")
    ev.set_defaults(func=cmd_eval)

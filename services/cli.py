"""The `moodtune` command line.

    moodtune classify [TEXT ...] [--lyrics] [--server HOST:PORT] [--model DIR]
    moodtune ingest --songs song_meta.json [--genres genre_gn_all.json] [--base-url URL] | --demo
    moodtune serve classifier
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import grpc

from services.common.logs import configure_logging
from services.common.settings import ClassifierSettings, IngestSettings


def _chunks(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(lines)
    while chunk := list(islice(iterator, size)):
        yield chunk


def cmd_classify(args: argparse.Namespace) -> int:
    from services.classifier.client import connect
    from services.classifier.core import LimitError, TextKind

    overrides = {"model_dir": args.model} if args.model else {}
    settings = ClassifierSettings(**overrides)
    kind = TextKind.LYRICS if args.lyrics else TextKind.UTTERANCE
    if args.texts:
        inputs: Iterable[str] = args.texts
    else:  # one text per line of standard input; blank lines carry nothing to classify
        inputs = (line.rstrip("\n") for line in sys.stdin if line.strip())
    try:
        classifier = connect(settings, address=args.server)
    except Exception as exc:  # a missing or broken artifact: say what, not a traceback
        print(f"moodtune: cannot load the classifier: {exc}", file=sys.stderr)
        return 1
    try:
        for chunk in _chunks(inputs, settings.classifier_max_texts):
            for text, result in zip(chunk, classifier.classify(chunk, kind)):
                line = {"text": text, "label": result.label, "probabilities": result.as_dict()}
                if kind is TextKind.LYRICS:
                    line["highlight"] = result.highlight
                print(json.dumps(line, ensure_ascii=False), flush=True)
    except LimitError as exc:
        print(f"moodtune: {exc}", file=sys.stderr)
        return 2
    except grpc.RpcError as exc:
        print(f"moodtune: classifier at {args.server}: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 2 if exc.code() == grpc.StatusCode.INVALID_ARGUMENT else 1
    finally:
        classifier.close()
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from services.common.catalog import CatalogUnavailable
    from services.ingest.demo import GENRES, SONG_META
    from services.ingest.demo.mirror import serve_mirror
    from services.ingest.run import run_ingest
    from services.ingest.songlist import SongListError, load_song_list

    overrides = {}
    if args.base_url:
        overrides["ingest_base_url"] = args.base_url
    if args.job_dir:
        overrides["ingest_job_dir"] = args.job_dir
    elif args.demo:
        overrides["ingest_job_dir"] = ".moodtune/ingest-job-demo"
    settings = IngestSettings(**overrides)
    try:
        if not args.demo:
            return _ingest_exit(run_ingest(settings, load_song_list(args.songs, args.genres), fresh=args.fresh))
        with serve_mirror() as url:
            # The mirror is ours, on loopback: no need to be polite to it.
            demo = settings.model_copy(update={"ingest_base_url": url, "ingest_download_delay_s": 0.0,
                                               "ingest_autothrottle": False, "ingest_concurrency_per_domain": 8})
            print(f"moodtune: crawling the demo mirror at {url}", file=sys.stderr)
            return _ingest_exit(run_ingest(demo, load_song_list(SONG_META, GENRES), fresh=args.fresh))
    except (SongListError, CatalogUnavailable, FileNotFoundError) as exc:
        print(f"moodtune: {exc}", file=sys.stderr)
        return 1


def _ingest_exit(result) -> int:
    return 0 if result.ok else 1


def cmd_serve(args: argparse.Namespace) -> int:
    if args.service == "classifier":
        from services.classifier.server import run

        settings = ClassifierSettings()
        configure_logging(settings.log_level, settings.log_format)
        run(settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moodtune", description="Songs for how you feel.")
    commands = parser.add_subparsers(dest="command", required=True)

    classify = commands.add_parser(
        "classify", help="classify Korean text into six emotions, one JSON object per line"
    )
    classify.add_argument("texts", nargs="*", metavar="TEXT", help="texts; none = each line of stdin")
    classify.add_argument(
        "--lyrics", action="store_true", help="each input is a song's lyrics, lines separated by ' / '"
    )
    classify.add_argument("--server", metavar="HOST:PORT", help="call a running classifier service")
    classify.add_argument("--model", metavar="DIR", help="model artifact directory (in-process only)")
    classify.set_defaults(func=cmd_classify)

    ingest = commands.add_parser("ingest", help="crawl a song list, label the lyrics, store them in Qdrant")
    source = ingest.add_mutually_exclusive_group(required=True)
    source.add_argument("--songs", type=Path, help="Kakao Arena song_meta.json, or a file of Melon song ids")
    source.add_argument("--demo", action="store_true", help="the demo catalog, from its offline mirror")
    ingest.add_argument("--genres", type=Path, help="Kakao Arena genre_gn_all.json (genre code -> name)")
    ingest.add_argument("--base-url", help="the site to crawl (default MOODTUNE_INGEST_BASE_URL)")
    ingest.add_argument("--job-dir", type=Path, help="resume state; run again with the same dir to resume")
    ingest.add_argument("--fresh", action="store_true", help="forget the job dir's progress and crawl everything")
    ingest.set_defaults(func=cmd_ingest)

    serve = commands.add_parser("serve", help="run a service until SIGTERM")
    serve.add_argument("service", choices=["classifier"])
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "serve":
        configure_logging("WARNING", "text")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

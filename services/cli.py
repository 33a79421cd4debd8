"""The `moodtune` command line.

    moodtune classify [TEXT ...] [--lyrics] [--server HOST:PORT] [--model DIR]
    moodtune serve classifier
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice

import grpc

from services.common.logs import configure_logging
from services.common.settings import ClassifierSettings


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

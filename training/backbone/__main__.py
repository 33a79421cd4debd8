"""python -m training.backbone --out DIR [--no-trim]"""

import argparse
import json
import time

from . import ENGLISH_WORDS, build_backbone


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.backbone", description=__doc__)
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--no-trim", action="store_true", help="keep the full 250k vocabulary")
    parser.add_argument("--english-words", type=int, default=ENGLISH_WORDS,
                        help="common English words whose pieces survive trimming")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    info = build_backbone(args.out, trim_vocab=not args.no_trim, n_english_words=args.english_words)
    summary = {k: info[k] for k in ("vocab_size", "parameters")}
    print(json.dumps(summary), f"written to {args.out} in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()

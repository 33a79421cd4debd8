"""Is model B better than model A, or is the difference the test split's noise? A paired bootstrap.

    python -m training.paired ARTIFACT_A ARTIFACT_B [--resamples 1000] [--json FILE]

Both artifacts are run through the serving path on every test split (as `make model` scores them).
Each split's texts are then resampled with replacement, the same texts for both models, and each
split's headline figure (macro-F1; for two feelings the share with both in the top two) is taken on
every resample. It prints B − A with its 95% interval: an interval that holds 0 is a difference
these splits cannot tell from chance. Our test splits are small (85 to 327 texts), so one text more
or less right moves a figure by 0.003 to 0.012.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from training.build import served_predictions
from training.corpora import Example
from training.scorecard import kind_of
from training.train import TrainConfig, load_splits
from training.train import dev_figure as headline  # the figure a split is judged by (training selects on it too)


def paired_bootstrap(a: np.ndarray, b: np.ndarray, examples: list[Example], resamples: int = 1000,
                     seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    n = len(examples)
    differences = []
    for _ in range(resamples):
        pick = rng.integers(0, n, n)
        chosen = [examples[i] for i in pick]
        differences.append(headline(b[pick], chosen) - headline(a[pick], chosen))
    low, high = np.percentile(differences, [2.5, 97.5])
    return {"examples": n, "a": round(headline(a, examples), 4), "b": round(headline(b, examples), 4),
            "difference": round(headline(b, examples) - headline(a, examples), 4),
            "interval_95": [round(float(low), 4), round(float(high), 4)],
            "b_better_share": round(float(np.mean(np.array(differences) > 0)), 3)}


def compare(artifact_a: Path, artifact_b: Path, resamples: int = 1000) -> dict[str, dict]:
    splits = load_splits(TrainConfig(backbone="", out=""))
    results = {}
    for name, parts in splits.items():
        test = parts["test"]
        if not test:
            continue
        # The whole split in one pass, as the scorecard does: int8 dynamic quantization scales each
        # batch by its own range, so a text's probabilities shift (by 0.01 on average) with its batch-mates.
        a, b = (served_predictions(artifact, test, kind_of(test[0].source)) for artifact in (artifact_a, artifact_b))
        keep = [i for i, e in enumerate(test) if not (name == "kote" and e.ambiguous)]
        results[f"{name}-test"] = paired_bootstrap(a[keep], b[keep], [test[i] for i in keep], resamples)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    results = compare(args.a, args.b, args.resamples)
    print(f"| split | texts | A | B | B − A | 95% interval | share of resamples B > A |\n|---|---|---|---|---|---|---|")
    for name, r in results.items():
        low, high = r["interval_95"]
        print(f"| {name} | {r['examples']} | {r['a']:.3f} | {r['b']:.3f} | {r['difference']:+.3f} | "
              f"{low:+.3f} … {high:+.3f} | {r['b_better_share']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

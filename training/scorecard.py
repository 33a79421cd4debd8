"""Every held-out split scored its own way, for any model given as a function texts -> probabilities.

- conversation, lyrics, hard forms: macro-F1 and the rest of `evaluate` against the one label
  (hard forms also per form: accuracy of each);
- KOTE: `evaluate` against the hard rule's label on the comments it labels, and `soft` figures
  against the label-count distributions of every comment;
- two feelings (mixed): `two_feelings` (both emotions the top two, the weaker one's probability),
  plus `evaluate` against the stronger emotion.

The kind a split is read as (its calibration): lyrics for the lyrics corpus, utterance for the rest.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from training.corpora import Example
from training.evaluate import ece_if_calibrated, evaluate, soft_figures, two_feelings

Predict = Callable[[list[Example], str], np.ndarray]  # (examples, kind) -> [n, 6] probabilities
SUMMARY_KEYS = ("examples", "macro_f1", "accuracy", "ece", "ece_if_calibrated", "macro_precision", "macro_recall",
                "f1_per_class")


def kind_of(source: str) -> str:
    return "lyrics" if source == "lyrics" else "utterance"


def score_split(probabilities: np.ndarray, examples: list[Example]) -> dict:
    labels = [e.label for e in examples]
    source = examples[0].source
    # KOTE is scored against the hard rule's label, on the comments it labels.
    labelled = [i for i, e in enumerate(examples) if not (source == "kote" and e.ambiguous)]
    figures = evaluate(probabilities[labelled], [labels[i] for i in labelled])
    # The ECE this split would show even if the model were perfectly calibrated (small splits are noisy).
    figures["ece_if_calibrated"] = round(ece_if_calibrated(probabilities[labelled]), 4)
    if source == "kote":
        figures["soft"] = soft_figures(probabilities, np.array([e.distribution for e in examples]))
        return figures
    if source == "mixed":
        figures["two_feelings"] = two_feelings(probabilities, np.array([e.distribution for e in examples]))
    if source == "hard":
        predicted = probabilities.argmax(axis=1)
        figures["accuracy_per_form"] = {
            form: round(float(np.mean([predicted[i] == labels[i] for i, e in enumerate(examples) if e.tag == form])), 4)
            for form in sorted({e.tag for e in examples})
        }
    return figures


def scorecard(predict: Predict, test_sets: dict[str, list[Example]]) -> dict[str, dict]:
    """{split name: figures} for every non-empty split."""
    return {name: score_split(predict(examples, kind_of(examples[0].source)), examples)
            for name, examples in test_sets.items() if examples}


def summary(figures: dict) -> dict:
    """What model.json keeps of a split's figures (no confusion matrices)."""
    kept = {key: figures[key] for key in SUMMARY_KEYS}
    kept.update({key: figures[key] for key in ("soft", "two_feelings", "accuracy_per_form") if key in figures})
    return kept


def headline(name: str, figures: dict) -> tuple[str, float]:
    """The one figure a split is judged by (the issue's goals)."""
    if "two_feelings" in figures:
        return "both feelings top two", figures["two_feelings"]["both_top_two"]
    return "macro-F1", figures["macro_f1"]


def side_by_side(columns: dict[str, dict[str, dict]]) -> str:
    """A markdown table: one row per split and figure, one column per model."""
    names = list(columns)
    splits = [s for s in next(iter(columns.values()))]
    lines = ["| split | figure | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]

    def cell(model: str, split: str, path: tuple[str, ...]) -> str:
        value = columns[model].get(split)
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return f"{value:.3f}" if isinstance(value, (int, float)) else "–"

    rows = [("macro-F1", ("macro_f1",)), ("ECE", ("ece",)), ("ECE if perfectly calibrated", ("ece_if_calibrated",)),
            ("examples", ("examples",))]
    extra = {"kote-test": [("soft cross-entropy", ("soft", "cross_entropy")),
                           ("soft total variation", ("soft", "total_variation")),
                           ("top = target's top", ("soft", "top_agreement"))],
             "mixed-test": [("both feelings top two", ("two_feelings", "both_top_two")),
                            ("weaker feeling mean p", ("two_feelings", "weaker_mean_probability"))]}
    for split in splits:
        for label, path in extra.get(split, []) + rows:
            if label == "examples":
                values = [columns[m].get(split, {}).get("examples", "–") for m in names]
                lines.append(f"| {split} | examples (hard label) | " + " | ".join(str(v) for v in values) + " |")
                continue
            lines.append(f"| {split} | {label} | " + " | ".join(cell(m, split, path) for m in names) + " |")
    return "\n".join(lines) + "\n"

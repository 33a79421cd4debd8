"""Figures for a model on a labelled split: per-class precision/recall/F1, macro-F1,
accuracy, confusion matrix and expected calibration error (ECE).

The probabilities are used as vectors for search, so calibration matters as much
as the top label: ECE is the mean gap between confidence and accuracy over 15
equal-width confidence bins, weighted by how many predictions fall in each.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from services.common.labels import EMOTIONS, KOREAN

ECE_BINS = 15


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    return binned_calibration_gap(probabilities.max(axis=1), probabilities.argmax(axis=1) == labels, bins)


def binned_calibration_gap(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def ece_if_calibrated(probabilities: np.ndarray, draws: int = 200, seed: int = 0) -> float:
    """The ECE a perfectly calibrated model with these confidences would still show on a split this
    size: each top label is right with exactly its confidence, drawn `draws` times; the mean.

    ECE is biased upwards on small splits (a bin of a few texts is rarely exactly on the diagonal),
    so a measured ECE near this floor is as calibrated as the split can tell."""
    confidence = np.asarray(probabilities, dtype=np.float64).max(axis=1)
    rng = np.random.default_rng(seed)
    return float(np.mean([binned_calibration_gap(confidence, rng.random(len(confidence)) < confidence)
                          for _ in range(draws)]))


def evaluate(probabilities: np.ndarray, labels: Sequence[int]) -> dict:
    """All figures for one split. Classes absent from the split get F1 0 and are left out of macro-F1."""
    labels = np.asarray(labels)
    predicted = probabilities.argmax(axis=1)
    n = len(EMOTIONS)
    confusion = np.zeros((n, n), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    precision, recall, f1 = {}, {}, {}
    present = []
    for i, name in enumerate(EMOTIONS):
        tp = confusion[i, i]
        p = tp / confusion[:, i].sum() if confusion[:, i].sum() else 0.0
        r = tp / confusion[i].sum() if confusion[i].sum() else 0.0
        precision[name], recall[name] = round(float(p), 4), round(float(r), 4)
        f1[name] = round(float(2 * p * r / (p + r)) if p + r else 0.0, 4)
        if confusion[i].sum():
            present.append(name)
    return {
        "examples": int(len(labels)),
        "accuracy": round(float((predicted == labels).mean()), 4),
        "macro_f1": round(float(np.mean([f1[c] for c in present])), 4),
        "macro_precision": round(float(np.mean([precision[c] for c in present])), 4),
        "macro_recall": round(float(np.mean([recall[c] for c in present])), 4),
        "ece": round(expected_calibration_error(probabilities, labels), 4),
        "precision_per_class": precision,
        "recall_per_class": recall,
        "f1_per_class": f1,
        "confusion": confusion.tolist(),
    }


def markdown_report(title: str, figures: dict[str, dict]) -> str:
    """A report with a summary table and one confusion matrix per split."""
    lines = [f"# {title}", "", "| split | examples | macro-F1 | accuracy | ECE | "
             + " | ".join(f"F1 {e}" for e in EMOTIONS) + " |",
             "|---|---|---|---|---|" + "---|" * len(EMOTIONS)]
    for split, f in figures.items():
        lines.append(
            f"| {split} | {f['examples']} | {f['macro_f1']:.3f} | {f['accuracy']:.3f} | {f['ece']:.3f} | "
            + " | ".join(f"{f['f1_per_class'][e]:.2f}" for e in EMOTIONS) + " |"
        )
    for split, f in figures.items():
        lines += ["", f"## {split}: confusion (rows true, columns predicted)", "",
                  "| | " + " | ".join(KOREAN[e] for e in EMOTIONS) + " |", "|---|" + "---|" * len(EMOTIONS)]
        for e, row in zip(EMOTIONS, f["confusion"]):
            lines.append(f"| {KOREAN[e]} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def soft_figures(probabilities: np.ndarray, targets: np.ndarray) -> dict:
    """How close the predicted distributions are to target distributions (KOTE's label counts).

    cross_entropy: mean -sum t log p (lower is better; the targets' own entropy is its floor);
    total_variation: mean half L1 distance; top_agreement: share whose top emotion is the target's.
    """
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1.0)
    t = np.asarray(targets, dtype=np.float64)
    return {
        "examples": int(len(t)),
        "cross_entropy": round(float(-(t * np.log(p)).sum(axis=1).mean()), 4),
        "target_entropy": round(float(-(t * np.log(np.clip(t, 1e-12, 1.0))).sum(axis=1).mean()), 4),
        "total_variation": round(float(0.5 * np.abs(p - t).sum(axis=1).mean()), 4),
        "top_agreement": round(float((p.argmax(axis=1) == t.argmax(axis=1)).mean()), 4),
    }


def two_feelings(probabilities: np.ndarray, targets: np.ndarray) -> dict:
    """Sentences carrying two feelings: the share whose two emotions are the model's top two (either
    order), the mean probability of the weaker (second) one and of the stronger one."""
    p = np.asarray(probabilities, dtype=np.float64)
    t = np.asarray(targets, dtype=np.float64)
    rows = np.arange(len(t))
    wanted = np.argsort(-t, axis=1, kind="stable")[:, :2]
    predicted = np.argsort(-p, axis=1, kind="stable")[:, :2]
    both = np.sort(wanted, axis=1) == np.sort(predicted, axis=1)
    return {
        "examples": int(len(t)),
        "both_top_two": round(float(both.all(axis=1).mean()), 4),
        "weaker_mean_probability": round(float(p[rows, wanted[:, 1]].mean()), 4),
        "stronger_mean_probability": round(float(p[rows, wanted[:, 0]].mean()), 4),
    }

"""Fit the per-kind temperatures of an existing artifact on the dev sets, through the serving path.

    python -m training.calibrate ARTIFACT_DIR [--data-dir DIR]

The graph serves p = softmax(z / T0), so T0 · log p equals the logits z up to a per-row constant that
softmax ignores: the temperatures can be fitted from the served probabilities alone, with the same
fit as training (`training.train.fit_temperature`, on the same dev sets per kind), and written into
model.json (`folded_temperature`, `temperatures`). An artifact made before per-kind calibration
(one temperature for every kind) gets its own LYRICS temperature this way, without retraining.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from services.classifier.artifact import CARD_FILE, ModelCard
from services.classifier.model import EmotionModel
from training.train import TrainConfig, fit_temperature, load_splits, model_text, targets_of


def folded_temperature(raw: dict) -> float:
    """The card's own, else the one training recorded (folded into the graph), else 1."""
    return float(raw.get("folded_temperature") or raw.get("training", {}).get("temperature") or 1.0)


def refit(artifact: Path, data_dir: Path | None = None) -> dict[str, float]:
    config = TrainConfig(backbone="", out="", data_dir=str(data_dir) if data_dir else None)
    dev = {name: c["dev"] for name, c in load_splits(config).items() if c["dev"]}
    path = Path(artifact) / CARD_FILE
    raw = json.loads(path.read_text(encoding="utf-8"))
    folded = folded_temperature(raw)
    model = EmotionModel(Path(artifact))
    temperatures = {}
    for kind, sources in config.calibrate_on.items():
        sets = []
        for name in (s for s in sources if s in dev):
            served = model.predict([model_text(e) for e in dev[name]])
            logits = torch.tensor(folded * np.log(np.clip(served, 1e-12, 1.0)), dtype=torch.float32)
            sets.append((logits, targets_of(dev[name])))
        temperatures[kind] = fit_temperature(sets) if sets else folded
    raw["folded_temperature"], raw["temperatures"] = folded, temperatures
    path.write_text(json.dumps(raw, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    ModelCard.read(Path(artifact))  # still a valid card
    return temperatures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("artifact", type=Path)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args(argv)
    print(f"temperatures written to {args.artifact / CARD_FILE}: {refit(args.artifact, args.data_dir)}")


if __name__ == "__main__":
    main()

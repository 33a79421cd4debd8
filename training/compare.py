"""Train and evaluate several configurations side by side, on the same splits and seeds, and write a
table in the form of the original project's backbone comparison (docs/model-comparison.md).

    python -m training.compare [--backbone DIR] [--extra-backbone NAME=DIR ...] [--epochs 12] [--dapt-steps 300,300,300]

Each configuration: a backbone (the shipped e5-small by default, or any local checkpoint), with or
without DAPT (training/dapt.py), full fine-tuning or a frozen backbone + linear head, AdamW or
Adafactor. Figures are on the held-out test splits, from the torch model with its fitted temperature.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from services.common.labels import EMOTIONS
from training.dapt import default_plan
from training.dapt import run as run_dapt
from training.evaluate import evaluate
from training.model import EmotionClassifier
from training.train import Encoder, TrainConfig, load_splits, model_text, predict_logits
from training.train import run as run_training

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Config:
    name: str
    backbone: str = "e5-small"  # a key of the backbones given on the command line
    dapt: bool = False
    freeze: bool = False
    optimizer: str = "adamw"
    lr: float = 1e-4


DEFAULT_CONFIGS = [
    Config("full · AdamW 1e-4 (shipped)"),
    Config("frozen + head · AdamW (original method)", freeze=True),
    Config("DAPT + full · AdamW 1e-4", dapt=True),
    Config("full · Adafactor 1e-4", optimizer="adafactor"),
    Config("full · Adafactor 1e-6 (original setting)", optimizer="adafactor", lr=1e-6),
]


def test_figures(run_dir: Path, splits: dict) -> dict[str, dict]:
    model = EmotionClassifier.load(run_dir)
    meta = json.loads((run_dir / "classifier.json").read_text())
    encoder = Encoder(run_dir / "tokenizer.json", meta["max_length"], meta["input_prefix"])
    figures = {}
    for name, corpus in splits.items():
        examples = corpus["test"]
        if examples:
            logits = predict_logits(model, encoder, [model_text(e) for e in examples], torch.device("cpu"))
            figures[name] = evaluate(torch.softmax(logits / meta["temperature"], -1).numpy(),
                                     [e.label for e in examples])
    return figures


def table(rows: list[dict]) -> str:
    lines = ["| configuration | backbone | DAPT | conversation macro-F1 | P | R | lyrics macro-F1 | ECE (conv.) | "
             + " | ".join(f"F1 {e}" for e in EMOTIONS) + " | training s |",
             "|---|---|---|---|---|---|---|---|" + "---|" * len(EMOTIONS) + "---|"]
    for r in rows:
        c, l = r["figures"]["conversation"], r["figures"].get("lyrics", {"macro_f1": float("nan")})
        lines.append(
            f"| {r['config']} | {r['backbone']} | {'yes' if r['dapt'] else 'no'} | {c['macro_f1']:.3f} | "
            f"{c['macro_precision']:.3f} | {c['macro_recall']:.3f} | {l['macro_f1']:.3f} | {c['ece']:.3f} | "
            + " | ".join(f"{c['f1_per_class'][e]:.2f}" for e in EMOTIONS) + f" | {r['train_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def compare(backbones: dict[str, Path], configs: list[Config], work: Path, *, epochs: int, dapt_steps: list[int],
            data_dir: Path | None = None, max_steps: int | None = None) -> list[dict]:
    common = {"epochs": epochs, "max_steps": max_steps, "data_dir": str(data_dir) if data_dir else None}
    splits = load_splits(TrainConfig(backbone="", out="", data_dir=common["data_dir"]))
    adapted: dict[str, Path] = {}
    rows = []
    for number, config in enumerate(configs):
        backbone = backbones[config.backbone]
        started = time.time()
        if config.dapt:
            if config.backbone not in adapted:
                adapted[config.backbone] = work / f"dapt-{config.backbone}"
                run_dapt(backbone, adapted[config.backbone], default_plan(dapt_steps, data_dir))
            backbone = adapted[config.backbone]
        run_dir = run_training(replace(TrainConfig(backbone=str(backbone), out=str(work / f"run-{number}"), **common),
                                       freeze_backbone=config.freeze, optimizer=config.optimizer, lr=config.lr))
        rows.append({"config": config.name, "backbone": config.backbone, "dapt": config.dapt,
                     "train_seconds": time.time() - started, "figures": test_figures(run_dir, splits)})
        print(f"== {config.name}: conversation macro-F1 {rows[-1]['figures']['conversation']['macro_f1']:.3f}")
    return rows


def main(argv: list[str] | None = None) -> None:
    import sys

    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbone", type=Path, default=ROOT / ".moodtune" / "build" / "backbone",
                        help="the e5-small backbone (make model builds it)")
    parser.add_argument("--extra-backbone", action="append", default=[], metavar="NAME=DIR",
                        help="another local checkpoint, compared with full fine-tuning and AdamW")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--dapt-steps", default="300,300,300")
    parser.add_argument("--work", type=Path, default=ROOT / ".moodtune" / "compare")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "model-comparison.md")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--max-steps", type=int, help="cut every training short (tests)")
    parser.add_argument("--only", help="comma-separated indexes into the default configurations")
    args = parser.parse_args(argv)
    backbones = {"e5-small": args.backbone}
    configs = [DEFAULT_CONFIGS[int(i)] for i in args.only.split(",")] if args.only else list(DEFAULT_CONFIGS)
    for extra in args.extra_backbone:
        name, path = extra.split("=", 1)
        backbones[name] = Path(path)
        configs.append(Config(f"{name} · full · AdamW", backbone=name))
    device = "cuda" if torch.cuda.is_available() else "cpu (2 cores)" if (torch.get_num_threads() <= 2) else "cpu"
    rows = compare(backbones, configs, args.work, epochs=args.epochs,
                   dapt_steps=[int(s) for s in args.dapt_steps.split(",")], data_dir=args.data_dir,
                   max_steps=args.max_steps)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        f"# Model comparison\n\nMeasured by `python -m training.compare {' '.join(argv or [])}`".rstrip()
        + f" on {device}; the same splits and seed for every row; figures on the held-out test splits.\n\n"
        + table(rows), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

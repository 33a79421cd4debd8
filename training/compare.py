"""Train and evaluate several configurations side by side, on the same splits and seeds, and write a
table in the form of the original project's backbone comparison (docs/model-comparison.md).

    python -m training.compare [--backbone DIR] [--extra-backbone NAME=DIR ...] [--epochs 12] [--dapt-steps 300,300,300]
                               [--only 0,3] [--threads 1]

Each configuration: a backbone (the shipped e5-small by default, or any local checkpoint), with or
without DAPT (training/dapt.py), full fine-tuning or a frozen backbone + linear head, AdamW or
Adafactor, soft or one-hot ("hard") targets, and which corpora it trains on (with or without KOTE,
with or without the two-feelings and hard-forms corpora). Every configuration is evaluated on every
test split (scorecard.py), from the torch model with its fitted per-kind temperatures.

Every finished row is appended to results.jsonl in the work directory together with the settings it was
measured under, and a later run with the same settings reuses it instead of training again. So a long
comparison survives an interruption, and it can run as parallel lanes (`--only 0,1 --threads 1` in one
shell, `--only 2,3 --threads 1` in another); the table always lists every measured row.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from services.common.labels import EMOTIONS
from training.build import DEFAULT_KOTE
from training.dapt import default_plan
from training.dapt import run as run_dapt
from training.model import EmotionClassifier
from training.scorecard import headline, scorecard
from training.train import CORPORA, Encoder, TrainConfig, load_splits, model_text, predict_logits
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
    seed: int = 13  # fine-tuning seed (initialisation of the head, dropout, batch order)
    soft: bool = True  # soft targets (KOTE label counts, two-feelings weights); False: one-hot, KOTE by the hard rule
    corpora: tuple[str, ...] = CORPORA  # what it trains on (every configuration is evaluated on every split)
    freeze_layers: int = 0


WITHOUT_KOTE = tuple(c for c in CORPORA if c != "kote")
DEFAULT_CONFIGS = [
    Config("full · AdamW 1e-4 · soft targets · every corpus"),
    Config("frozen + head · AdamW (original method)", freeze=True),
    Config("DAPT + full · AdamW 1e-4", dapt=True),
    Config("full · Adafactor 1e-4", optimizer="adafactor"),
    Config("full · Adafactor 1e-6 (original setting)", optimizer="adafactor", lr=1e-6),
    # Issue 16: what KOTE and the soft targets each bring.
    Config("full · hard targets · every corpus", soft=False),
    Config("full · soft targets · without KOTE", corpora=WITHOUT_KOTE),
    Config("full · conversation + lyrics only (the data before issue 16)", corpora=("conversation", "lyrics")),
    Config("full · soft targets · every corpus · bottom 6 layers frozen (shipped)", freeze_layers=6),
]


def test_figures(run_dir: Path, splits: dict) -> dict[str, dict]:
    """Every test split, keyed by corpus name, with the run's temperature for each kind."""
    model = EmotionClassifier.load(run_dir)
    meta = json.loads((run_dir / "classifier.json").read_text())
    encoder = Encoder(run_dir / "tokenizer.json", meta["max_length"], meta["input_prefix"])
    temperatures = meta.get("temperatures", {})

    def predict(examples, kind):
        logits = predict_logits(model, encoder, [model_text(e) for e in examples], torch.device("cpu"))
        return torch.softmax(logits / temperatures.get(kind, meta["temperature"]), -1).numpy()

    return scorecard(predict, {name: corpus["test"] for name, corpus in splits.items()})


SPLIT_COLUMNS = ("conversation", "lyrics", "kote", "mixed", "hard")


def table(rows: list[dict]) -> str:
    lines = ["| configuration | backbone | DAPT | seed | targets | trained on | conversation macro-F1 | P | R | "
             "lyrics macro-F1 | KOTE test macro-F1 | two feelings: both top two | hard forms macro-F1 | "
             "ECE conv. | ECE lyrics | " + " | ".join(f"F1 {e} (conv.)" for e in EMOTIONS) + " | training s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|" + "---|" * len(EMOTIONS) + "---|"]
    nan = float("nan")
    for r in rows:
        f = r["figures"]
        c = f["conversation"]
        measured = [headline(k, f[k])[1] if k in f else nan for k in SPLIT_COLUMNS]
        lines.append(
            f"| {r['config']} | {r['backbone']} | {'yes' if r['dapt'] else 'no'} | {r['seed']} | "
            f"{'soft' if r.get('soft', True) else 'hard'} | {r.get('trained_on', 'conversation, lyrics')} | "
            f"{measured[0]:.3f} | {c['macro_precision']:.3f} | {c['macro_recall']:.3f} | "
            + " | ".join(f"{v:.3f}" for v in measured[1:]) + f" | {c['ece']:.3f} | "
            f"{f.get('lyrics', {}).get('ece', nan):.3f} | "
            + " | ".join(f"{c['f1_per_class'][e]:.2f}" for e in EMOTIONS) + f" | {r['train_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def row_key(config: Config, backbone: Path, settings: dict) -> str:
    """What a measured row depends on; a cached row is reused only when all of it matches."""
    return json.dumps({"config": asdict(config), "backbone": str(backbone), **settings}, sort_keys=True)


def cached_rows(results: Path) -> dict[str, dict]:
    if not results.exists():
        return {}
    rows = (json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["key"]: row for row in rows}


def compare(backbones: dict[str, Path], configs: list[Config], work: Path, *, epochs: int, dapt_steps: list[int],
            data_dir: Path | None = None, max_steps: int | None = None, kote: Path | None = None,
            measured_only: bool = False) -> list[dict]:
    """Train and evaluate each configuration, reusing rows already in work/results.jsonl; rows in config order.
    With measured_only, train nothing: return just the rows measured before (by any lane)."""
    common = {"epochs": epochs, "max_steps": max_steps, "data_dir": str(data_dir) if data_dir else None}
    settings = {**common, "dapt_steps": dapt_steps, "dapt_kote": str(kote) if kote else None}
    splits = load_splits(TrainConfig(backbone="", out="", data_dir=common["data_dir"]))  # soft: every comment
    work.mkdir(parents=True, exist_ok=True)
    results = work / "results.jsonl"
    rows = []
    for config in configs:
        backbone = backbones[config.backbone]
        key = row_key(config, backbone, settings)
        cached = cached_rows(results).get(key)  # re-read each time: a parallel lane may have just finished it
        if cached:
            if not measured_only:
                print(f"== {config.name}: measured before, reused from {results}")
            rows.append(cached)
            continue
        if measured_only:
            continue
        started = time.time()
        if config.dapt:
            # One adapted backbone per (backbone, DAPT settings): every seed and optimizer fine-tunes the same one.
            dapt_key = json.dumps({"backbone": str(backbone), **settings}, sort_keys=True)
            adapted = work / f"dapt-{config.backbone}-{hashlib.sha256(dapt_key.encode()).hexdigest()[:10]}"
            if not (adapted / "backbone.json").exists():
                run_dapt(backbone, adapted, default_plan(dapt_steps, data_dir, kote), resume=True)
            backbone = adapted
        run_dir = work / f"run-{hashlib.sha256(key.encode()).hexdigest()[:10]}"
        run_training(replace(TrainConfig(backbone=str(backbone), out=str(run_dir), **common),
                             freeze_backbone=config.freeze, optimizer=config.optimizer, lr=config.lr, seed=config.seed,
                             soft_targets=config.soft, corpora=config.corpora, freeze_layers=config.freeze_layers))
        row = {"key": key, "config": config.name, "backbone": config.backbone, "dapt": config.dapt, "seed": config.seed,
               "soft": config.soft, "trained_on": ", ".join(config.corpora),
               "run_dir": str(run_dir), "train_seconds": time.time() - started,
               "threads": torch.get_num_threads(), "figures": test_figures(run_dir, splits)}
        with results.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        rows.append(row)
        print(f"== {config.name}: conversation macro-F1 {row['figures']['conversation']['macro_f1']:.3f}")
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
    parser.add_argument("--seeds", default="13", help="fine-tune each configuration once per seed (seed-to-seed spread)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (one per lane when lanes run in parallel)")
    parser.add_argument("--kote", type=Path, default=DEFAULT_KOTE,
                        help="KOTE comments for DAPT's everyday stage, used if present (unlabelled)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    backbones = {"e5-small": args.backbone}
    configs = [DEFAULT_CONFIGS[int(i)] for i in args.only.split(",")] if args.only else list(DEFAULT_CONFIGS)
    for extra in args.extra_backbone:
        name, path = extra.split("=", 1)
        backbones[name] = Path(path)
        configs.append(Config(f"{name} · full · AdamW", backbone=name))
    configs = [replace(c, seed=int(seed)) for c in configs for seed in args.seeds.split(",")]
    device = "cuda" if torch.cuda.is_available() else f"cpu ({os.cpu_count()} cores)"
    options = {"epochs": args.epochs, "dapt_steps": [int(s) for s in args.dapt_steps.split(",")],
               "data_dir": args.data_dir, "max_steps": args.max_steps,
               "kote": args.kote if args.kote.exists() else None}
    compare(backbones, configs, args.work, **options)
    # The table lists every configuration measured under these settings, by this run or an earlier lane.
    measured_seeds = (row["seed"] for row in cached_rows(args.work / "results.jsonl").values())
    seeds = sorted({Config.seed, *(c.seed for c in configs), *measured_seeds})
    everything = [replace(c, seed=seed) for c in DEFAULT_CONFIGS for seed in seeds]
    everything += [c for c in configs if c not in everything]
    rows = compare(backbones, everything, args.work, measured_only=True, **options)
    command = " ".join(["python -m training.compare", *(argv or [])])
    write_table(args.out, "Every row in results.jsonl measured under these settings, written by "
                          f"`{command}` on {device}; the same splits for every row; figures on the held-out "
                          "test splits.\n\n" + table(rows))
    print(f"wrote {args.out}")


def write_table(out: Path, block: str) -> None:
    """Replace only what lies between the table markers, so the prose around the table survives a rerun."""
    start, end = "<!-- comparison table -->\n", "<!-- /comparison table -->\n"
    text = out.read_text(encoding="utf-8") if out.exists() else f"# Model comparison\n\n{start}{end}"
    if start not in text or end not in text:
        text = text.rstrip("\n") + f"\n\n{start}{end}"
    head, rest = text.split(start, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(head + start + block + end + rest.split(end, 1)[1], encoding="utf-8")


if __name__ == "__main__":
    main()

"""Fine-tune the emotion classifier.

    python -m training.train --backbone DIR --out RUN_DIR [--freeze-backbone] [--kote DIR] ...

The story: load the corpora and split them by a stable hash; build the model
(backbone + mean pooling + linear head); train with class-weighted cross entropy
(and per-source weights when corpora are mixed), evaluating dev macro-F1 after
every epoch and keeping the best epoch (early stopping); fit a temperature on dev
so the probabilities are calibrated; save the checkpoint and the figures.
With --freeze-backbone only the head learns (the original project's method):
the pooled features are computed once and the head trains on them.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from torch.nn import functional as F
from tqdm import tqdm

from services.common.labels import EMOTIONS
from training.corpora import Example, load_kote, load_project
from training.evaluate import evaluate
from training.model import EmotionClassifier
from training.splits import split

E5_PREFIX = "query: "


@dataclass
class TrainConfig:
    backbone: str
    out: str
    freeze_backbone: bool = False
    epochs: int = 12
    batch_size: int = 32
    lr: float = 1e-4  # full fine-tuning (chosen by a dev sweep: docs/model-report.md); the head uses head_lr
    head_lr: float = 3e-3
    weight_decay: float = 0.01
    warmup: float = 0.1
    dropout: float = 0.1
    max_length: int = 128
    patience: int = 3
    seed: int = 13
    input_prefix: str | None = None  # None: "query: " for an e5 backbone, else ""
    source_weights: dict[str, float] = field(default_factory=lambda: {"conversation": 1.0, "lyrics": 1.0, "kote": 0.5})
    kote: str | None = None  # a KOTE file or directory (val.tsv) to train on as well
    max_steps: int | None = None  # for tests: stop after this many optimizer steps
    data_dir: str | None = None  # default: training/data
    device: str = "auto"
    optimizer: str = "adamw"  # or "adafactor"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_prefix(config: TrainConfig) -> str:
    if config.input_prefix is not None:
        return config.input_prefix
    info = Path(config.backbone) / "backbone.json"
    return E5_PREFIX if info.exists() and "e5" in info.read_text().lower() else ""


def load_splits(config: TrainConfig) -> dict[str, dict[str, list[Example]]]:
    """{"conversation": {"train": [...], "dev": [...], "test": [...]}, "lyrics": {...}, ["kote": {...}]}"""
    kwargs = {"data_dir": Path(config.data_dir)} if config.data_dir else {}
    corpora = {kind: split(load_project(kind, **kwargs)) for kind in ("conversation", "lyrics")}
    if config.kote:
        corpora["kote"] = split(load_kote(Path(config.kote)))
    return corpora


def model_text(example: Example) -> str:
    """Lyric lines are fed as the service feeds windows: one line per text line."""
    return example.text.replace(" / ", "\n") if example.source == "lyrics" else example.text


class Encoder:
    def __init__(self, tokenizer_path: Path, max_length: int, prefix: str):
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length)
        self.prefix = prefix
        self.pad_id = next(
            (i for t in ("<pad>", "[PAD]") if (i := self.tokenizer.token_to_id(t)) is not None), 0
        )

    def __call__(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        encodings = self.tokenizer.encode_batch([self.prefix + t for t in texts])
        longest = max(len(e.ids) for e in encodings)
        ids = torch.full((len(texts), longest), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(texts), longest), dtype=torch.long)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = torch.tensor(e.ids)
            mask[row, : len(e.ids)] = 1
        return ids, mask


def class_weights(examples: list[Example]) -> torch.Tensor:
    """Inverse class frequency, normalised so the mean weight is 1."""
    counts = np.bincount([e.label for e in examples], minlength=len(EMOTIONS)).astype(float)
    weights = counts.sum() / (len(EMOTIONS) * np.maximum(counts, 1.0))
    return torch.tensor(weights, dtype=torch.float32)


@torch.no_grad()
def predict_logits(model: EmotionClassifier, encoder: Encoder, texts: list[str], device, batch_size=64) -> torch.Tensor:
    model.eval()
    out = []
    for i in range(0, len(texts), batch_size):
        ids, mask = encoder(texts[i : i + batch_size])
        out.append(model(ids.to(device), mask.to(device)).logits.float().cpu())
    return torch.cat(out) if out else torch.zeros((0, len(EMOTIONS)))


def fit_temperature(sets: list[tuple[torch.Tensor, torch.Tensor]]) -> float:
    """The temperature that minimises dev NLL, each dev set (logits, labels) counting equally, so the
    small lyrics set is calibrated as much as the conversation set; a log grid from 0.25 to 8."""
    grid = torch.logspace(math.log10(0.25), math.log10(8.0), 121)
    losses = [np.mean([F.cross_entropy(logits / t, labels).item() for logits, labels in sets]) for t in grid]
    return float(grid[int(np.argmin(losses))])


def dev_score(model, encoder, dev: dict[str, list[Example]], device) -> tuple[float, dict]:
    """Mean macro-F1 over the dev sets (each corpus counts equally)."""
    figures = {}
    for name, examples in dev.items():
        logits = predict_logits(model, encoder, [model_text(e) for e in examples], device)
        figures[name] = evaluate(torch.softmax(logits, -1).numpy(), [e.label for e in examples])
    return float(np.mean([f["macro_f1"] for f in figures.values()])), figures


def length_buckets(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (less padding: about half the compute on CPU), in random order.

    Shuffle, cut into pools of 50 batches, sort each pool by length, batch it, shuffle the batches.
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lengths.__getitem__)
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def make_optimizer(groups: list[dict], config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW (the default), or Adafactor as the original project used (fixed learning rates, no warm-up
    of its own, no relative step: the same schedule as AdamW)."""
    if config.optimizer == "adafactor":
        from transformers.optimization import Adafactor

        return Adafactor(groups, scale_parameter=False, relative_step=False, warmup_init=False,
                         weight_decay=config.weight_decay)
    return torch.optim.AdamW(groups, weight_decay=config.weight_decay)


def train_full(model, encoder, train, dev, config: TrainConfig, device) -> tuple[EmotionClassifier, list]:
    weights = class_weights(train).to(device)
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total = min(config.max_steps or 10**9, steps_per_epoch * config.epochs)
    optimizer = make_optimizer(
        [{"params": model.backbone.parameters(), "lr": config.lr},
         {"params": model.head.parameters(), "lr": config.head_lr}], config)
    warmup = max(1, int(total * config.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    rng = random.Random(config.seed)
    lengths = [len(encoder.tokenizer.encode(model_text(e)).ids) for e in train]
    best, best_score, history, stale, step = None, -1.0, [], 0, 0
    for epoch in range(config.epochs):
        model.train()
        bar = tqdm(length_buckets(lengths, config.batch_size, rng), desc=f"epoch {epoch + 1}/{config.epochs}", leave=False,
                   disable=None)  # bars on a terminal, not in logs
        for indices in bar:
            batch = [train[i] for i in indices]
            ids, mask = encoder([model_text(e) for e in batch])
            labels = torch.tensor([e.label for e in batch], device=device)
            sample = torch.tensor([config.source_weights.get(e.source, 1.0) for e in batch], device=device)
            logits = model(ids.to(device), mask.to(device)).logits
            loss = (F.cross_entropy(logits, labels, weight=weights, reduction="none") * sample).mean()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if step >= total:
                break
        score, figures = dev_score(model, encoder, dev, device)
        history.append({"epoch": epoch + 1, "step": step, "dev_macro_f1": round(score, 4)})
        print(f"epoch {epoch + 1}: dev macro-F1 {score:.4f} " + " ".join(f"{k}={v['macro_f1']:.3f}" for k, v in figures.items()))
        if score > best_score:
            best, best_score, stale = copy.deepcopy(model.state_dict()), score, 0
        else:
            stale += 1
            if stale >= config.patience:
                print(f"early stop: no dev gain for {config.patience} epochs")
                break
        if step >= total:
            break
    model.load_state_dict(best)
    return model, history


def train_head(model, encoder, train, dev, config: TrainConfig, device) -> tuple[EmotionClassifier, list]:
    """Frozen backbone: pooled features once, then only the linear head trains (full batch)."""
    @torch.no_grad()
    def features(examples):
        model.eval()
        rows = []
        for i in tqdm(range(0, len(examples), 64), desc="features", leave=False, disable=None):
            ids, mask = encoder([model_text(e) for e in examples[i : i + 64]])
            rows.append(model.pooled(ids.to(device), mask.to(device)).cpu())
        return torch.cat(rows)

    x = features(train)
    y = torch.tensor([e.label for e in train])
    dev_x = {k: features(v) for k, v in dev.items()}
    weights = class_weights(train)
    sample = torch.tensor([config.source_weights.get(e.source, 1.0) for e in train])
    head = model.head.cpu()
    optimizer = make_optimizer([{"params": head.parameters(), "lr": config.head_lr}], config)
    best, best_score, history, stale = None, -1.0, [], 0
    epochs = config.max_steps or 300 * config.epochs
    for epoch in range(epochs):
        head.train()
        loss = (F.cross_entropy(head(x), y, weight=weights, reduction="none") * sample).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (epoch + 1) % 25 and epoch + 1 != epochs:
            continue
        head.eval()
        with torch.no_grad():
            score = float(np.mean([
                evaluate(torch.softmax(head(dev_x[k]), -1).numpy(), [e.label for e in v])["macro_f1"]
                for k, v in dev.items()
            ]))
        history.append({"epoch": epoch + 1, "dev_macro_f1": round(score, 4)})
        if score > best_score:
            best, best_score, stale = copy.deepcopy(head.state_dict()), score, 0
        else:
            stale += 1
            if stale >= 4 * config.patience:
                break
    head.load_state_dict(best)
    model.head = head.to(device)
    return model, history


def run(config: TrainConfig) -> Path:
    seed_everything(config.seed)
    device = torch.device("cuda" if config.device == "auto" and torch.cuda.is_available()
                          else ("cpu" if config.device == "auto" else config.device))
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    corpora = load_splits(config)
    train = [e for c in corpora.values() for e in c["train"]]
    dev = {name: c["dev"] for name, c in corpora.items() if c["dev"]}
    print(f"train {len(train)} examples; dev " + ", ".join(f"{k} {len(v)}" for k, v in dev.items()) + f"; device {device}")

    prefix = resolve_prefix(config)
    encoder = Encoder(Path(config.backbone) / "tokenizer.json", config.max_length, prefix)
    model = EmotionClassifier.from_backbone(Path(config.backbone), config.dropout).to(device)
    started = time.time()
    if config.freeze_backbone:
        for p in model.backbone.parameters():
            p.requires_grad_(False)
        model, history = train_head(model, encoder, train, dev, config, device)
    else:
        model, history = train_full(model, encoder, train, dev, config, device)
    seconds = time.time() - started

    temperature = fit_temperature([
        (predict_logits(model, encoder, [model_text(e) for e in examples], device),
         torch.tensor([e.label for e in examples]))
        for examples in dev.values()
    ])
    print(f"trained in {seconds:.0f} s; calibration temperature {temperature:.3f}")
    model.cpu().save(
        out,
        input_prefix=prefix,
        max_length=config.max_length,
        temperature=temperature,
        train_seconds=round(seconds, 1),
        train_examples=len(train),
        device=str(device),
        history=history,
        config=asdict(config),
    )
    (out / "tokenizer.json").write_bytes((Path(config.backbone) / "tokenizer.json").read_bytes())
    return out


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbone", required=True, help="a local Hugging Face encoder directory")
    parser.add_argument("--out", required=True, help="where the checkpoint goes")
    parser.add_argument("--freeze-backbone", action="store_true", help="train the head only")
    parser.add_argument("--kote", help="a KOTE val.tsv (or its directory), to train on as well")
    parser.add_argument("--source-weights", help='JSON, e.g. {"conversation": 1, "lyrics": 1, "kote": 0.5}')
    for name, kind in [("epochs", int), ("batch-size", int), ("lr", float), ("head-lr", float),
                       ("max-length", int), ("seed", int), ("max-steps", int), ("patience", int)]:
        parser.add_argument(f"--{name}", type=kind)
    parser.add_argument("--input-prefix")
    parser.add_argument("--data-dir")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--optimizer", choices=["adamw", "adafactor"])
    args = vars(parser.parse_args(argv))
    if args.get("source_weights"):
        args["source_weights"] = json.loads(args["source_weights"])
    return TrainConfig(**{k: v for k, v in args.items() if v is not None})


if __name__ == "__main__":
    run(parse_args())

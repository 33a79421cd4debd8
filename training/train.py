"""Fine-tune the emotion classifier.

    python -m training.train --backbone DIR --out RUN_DIR [--freeze-backbone] [--kote DIR] ...

The story: load the corpora (conversation, lyrics, KOTE, two feelings, hard forms) and split
them by a stable hash; build the model (backbone + mean pooling + linear head); train on target
distributions with class-weighted soft cross entropy and per-source weights (one-label corpora
are one-hot; KOTE's label counts and the two-feelings weights are not), evaluating each dev set
after every epoch and keeping the best epoch (early stopping); fit one temperature per kind of text
(utterance, lyrics) on dev so both kinds' probabilities are calibrated; save the checkpoint.
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
from training.corpora import DATA_DIR, KOTE_DIR, Example, load_kote, load_kote_soft, load_project
from training.evaluate import evaluate, two_feelings
from training.model import EmotionClassifier
from training.splits import split

E5_PREFIX = "query: "
CORPORA = ("conversation", "lyrics", "kote", "mixed", "hard")


@dataclass
class TrainConfig:
    backbone: str
    out: str
    freeze_backbone: bool = False
    # Full fine-tuning with the embeddings and the bottom N layers frozen: no backward pass through
    # them, about a third less compute per step at N = half the layers (for a CPU budget).
    freeze_layers: int = 0
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
    source_weights: dict[str, float] = field(default_factory=lambda: {
        "conversation": 1.0, "lyrics": 1.0, "kote": 0.5, "mixed": 1.0, "hard": 1.0})
    corpora: tuple[str, ...] = CORPORA  # which corpora to train on (all are split and evaluated)
    soft_targets: bool = True  # False: one-hot targets everywhere, KOTE by the hard rule (ambiguous dropped)
    kote: str | None = None  # the KOTE file or directory (val.tsv); default <data_dir>/kote, else training/data/kote
    kote_max_length: int = 96  # KOTE comments are cut to this many tokens in training (long tails cost CPU)
    # The dev sets each kind's temperature is fitted on: the one-label set of that kind. (Adding the
    # hard-forms dev set to UTTERANCE raised the shipped model's conversation ECE from 0.043 to 0.081.)
    calibrate_on: dict[str, list[str]] = field(default_factory=lambda: {
        "utterance": ["conversation"], "lyrics": ["lyrics"]})
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


def kote_path(config: TrainConfig) -> Path | None:
    data_dir = Path(config.data_dir) if config.data_dir else DATA_DIR
    for candidate in (config.kote, data_dir / "kote", KOTE_DIR):
        if candidate and (Path(candidate) / "val.tsv" if Path(candidate).is_dir() else Path(candidate)).exists():
            return Path(candidate)
    return None


def load_splits(config: TrainConfig) -> dict[str, dict[str, list[Example]]]:
    """{"conversation": {"train": [...], "dev": [...], "test": [...]}, "lyrics": {...}, "kote": ..., "mixed": ...,
    "hard": ...}: every corpus there is (conversation and lyrics must be), whether trained on or not."""
    data_dir = Path(config.data_dir) if config.data_dir else DATA_DIR
    corpora = {kind: split(load_project(kind, data_dir)) for kind in ("conversation", "lyrics")}
    if (kote := kote_path(config)) is not None:
        corpora["kote"] = split(load_kote_soft(kote) if config.soft_targets else load_kote(kote))
    for kind in ("mixed", "hard"):
        if list((data_dir / kind).glob("*.tsv")):
            corpora[kind] = split(load_project(kind, data_dir))
    if not config.soft_targets:
        corpora = {k: {s: [e.one_hot() for e in part] for s, part in c.items()} for k, c in corpora.items()}
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

    def __call__(self, texts: list[str], limits: list[int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """`limits`: a shorter token budget per text (its end-of-text token kept)."""
        rows = [e.ids for e in self.tokenizer.encode_batch([self.prefix + t for t in texts])]
        if limits:
            rows = [r if len(r) <= n else r[: n - 1] + r[-1:] for r, n in zip(rows, limits)]
        longest = max(len(r) for r in rows)
        ids = torch.full((len(texts), longest), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(texts), longest), dtype=torch.long)
        for row, r in enumerate(rows):
            ids[row, : len(r)] = torch.tensor(r)
            mask[row, : len(r)] = 1
        return ids, mask


def class_weights(examples: list[Example]) -> torch.Tensor:
    """Inverse class frequency (the targets' mass per class), normalised so the mean weight is 1."""
    counts = np.sum([e.distribution for e in examples], axis=0).astype(float)
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


def targets_of(examples: list[Example]) -> torch.Tensor:
    return torch.tensor([e.distribution for e in examples], dtype=torch.float32)


def fit_temperature(sets: list[tuple[torch.Tensor, torch.Tensor]]) -> float:
    """The temperature that minimises dev NLL, each dev set (logits, labels or target distributions)
    counting equally, so a small set is calibrated as much as a large one; a log grid from 0.25 to 8."""
    grid = torch.logspace(math.log10(0.25), math.log10(8.0), 121)
    losses = [np.mean([F.cross_entropy(logits / t, labels).item() for logits, labels in sets]) for t in grid]
    return float(grid[int(np.argmin(losses))])


def dev_figure(probabilities: np.ndarray, examples: list[Example]) -> float:
    """One figure per dev set: macro-F1 (KOTE: on the comments the hard rule labels), and for two
    feelings the share whose two emotions are the top two."""
    if examples[0].source == "mixed":
        return two_feelings(probabilities, np.array([e.distribution for e in examples]))["both_top_two"]
    clear = [i for i, e in enumerate(examples) if not e.ambiguous]
    return evaluate(probabilities[clear], [examples[i].label for i in clear])["macro_f1"]


def dev_score(model, encoder, dev: dict[str, list[Example]], device) -> tuple[float, dict, dict]:
    """The mean of the dev sets' figures (each corpus counts equally), the figures and the logits."""
    figures, logits = {}, {}
    for name, examples in dev.items():
        logits[name] = predict_logits(model, encoder, [model_text(e) for e in examples], device)
        figures[name] = dev_figure(torch.softmax(logits[name], -1).numpy(), examples)
    return float(np.mean(list(figures.values()))), figures, logits


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


def freeze_bottom(model: EmotionClassifier, layers: int) -> None:
    if layers <= 0:
        return
    backbone = model.backbone
    for module in [backbone.embeddings, *backbone.encoder.layer[:layers]]:
        for p in module.parameters():
            p.requires_grad_(False)


def train_full(model, encoder, train, dev, config: TrainConfig, device) -> tuple[EmotionClassifier, list]:
    weights = class_weights(train).to(device)
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total = min(config.max_steps or 10**9, steps_per_epoch * config.epochs)
    optimizer = make_optimizer(
        [{"params": [p for p in model.backbone.parameters() if p.requires_grad], "lr": config.lr},
         {"params": model.head.parameters(), "lr": config.head_lr}], config)
    warmup = max(1, int(total * config.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    rng = random.Random(config.seed)
    limits = [config.kote_max_length if e.source == "kote" else config.max_length for e in train]
    lengths = [min(len(encoder.tokenizer.encode(model_text(e)).ids), n) for e, n in zip(train, limits)]
    best, best_score, history, stale, step = None, -1.0, [], 0, 0
    for epoch in range(config.epochs):
        epoch_started = time.time()
        model.train()
        bar = tqdm(length_buckets(lengths, config.batch_size, rng), desc=f"epoch {epoch + 1}/{config.epochs}", leave=False,
                   disable=None)  # bars on a terminal, not in logs
        for indices in bar:
            batch = [train[i] for i in indices]
            ids, mask = encoder([model_text(e) for e in batch], [limits[i] for i in indices])
            targets = targets_of(batch).to(device)
            sample = torch.tensor([config.source_weights.get(e.source, 1.0) for e in batch], device=device)
            logits = model(ids.to(device), mask.to(device)).logits
            # With probability targets: -sum_c w_c t_c log p_c (one-hot: the usual weighted CE).
            loss = (F.cross_entropy(logits, targets, weight=weights, reduction="none") * sample).mean()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if step >= total:
                break
        score, figures, logits = dev_score(model, encoder, dev, device)
        history.append({"epoch": epoch + 1, "step": step, "dev_macro_f1": round(score, 4)})
        history[-1]["dev"] = {k: round(v, 4) for k, v in figures.items()}
        print(f"epoch {epoch + 1}: dev score {score:.4f} " + " ".join(f"{k}={v:.3f}" for k, v in figures.items())
              + f" ({time.time() - epoch_started:.0f} s)", flush=True)
        if score > best_score:
            best, best_score, stale, best_logits = copy.deepcopy(model.state_dict()), score, 0, logits
        else:
            stale += 1
            if stale >= config.patience:
                print(f"early stop: no dev gain for {config.patience} epochs")
                break
        if step >= total:
            break
    model.load_state_dict(best)
    model.dev_logits = best_logits  # the kept epoch's dev logits: the temperatures are fitted on them
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
    y = targets_of(train)
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
            score = float(np.mean([dev_figure(torch.softmax(head(dev_x[k]), -1).numpy(), v) for k, v in dev.items()]))
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
    train = [e for name, c in corpora.items() if name in config.corpora for e in c["train"]]
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
        freeze_bottom(model, config.freeze_layers)
        model, history = train_full(model, encoder, train, dev, config, device)
    seconds = time.time() - started

    logits = getattr(model, "dev_logits", None) or {
        name: predict_logits(model, encoder, [model_text(e) for e in examples], device) for name, examples in dev.items()}
    temperatures = {}
    for kind, sources in config.calibrate_on.items():
        sets = [(logits[name], targets_of(dev[name])) for name in sources if name in dev]
        temperatures[kind] = fit_temperature(sets) if sets else 1.0
    print(f"trained in {seconds:.0f} s; calibration temperatures {temperatures}")
    model.cpu().save(
        out,
        input_prefix=prefix,
        max_length=config.max_length,
        temperature=temperatures.get("utterance", 1.0),  # the one folded into the graph
        temperatures=temperatures,
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
    parser.add_argument("--corpora", help="comma-separated corpora to train on (default: all)")
    parser.add_argument("--hard-targets", action="store_true", help="one-hot targets, KOTE by the hard rule")
    for name, kind in [("epochs", int), ("batch-size", int), ("lr", float), ("head-lr", float),
                       ("max-length", int), ("kote-max-length", int), ("freeze-layers", int), ("seed", int), ("max-steps", int),
                       ("patience", int)]:
        parser.add_argument(f"--{name}", type=kind)
    parser.add_argument("--input-prefix")
    parser.add_argument("--data-dir")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--optimizer", choices=["adamw", "adafactor"])
    args = vars(parser.parse_args(argv))
    if args.get("source_weights"):
        args["source_weights"] = json.loads(args["source_weights"])
    if args.get("corpora"):
        args["corpora"] = tuple(args["corpora"].split(","))
    args["soft_targets"] = not args.pop("hard_targets")
    return TrainConfig(**{k: v for k, v in args.items() if v is not None})


if __name__ == "__main__":
    run(parse_args())

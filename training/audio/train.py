"""Train the audio model on songs' mels.

    python -m training.audio.train --mels DIR --songs song_meta.json [--teacher lyrics_vectors.json] --out RUN

The story: read the catalog (Kakao layout), split it by song id; standardise bands with train
statistics; each step takes two random crops of every song in the batch; the emotion head learns
the lyrics' soft vector (KL, songs without one add nothing to it) and the embedding learns to put
the two crops of a song together and apart from the other songs (NT-Xent, SimCLR); dev KL picks
the epoch kept. A checkpoint after every epoch makes a run resumable (same --out).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from training.audio.data import Catalog, CropPairs, Song, kakao_catalog, load_mel, read_teacher
from training.audio.model import MelCNN
from training.train import seed_everything

CHECKPOINT = "checkpoint.pt"
BEST = "best.pt"


@dataclass
class AudioTrainConfig:
    mels: str
    songs: str
    out: str
    teacher: str | None = None
    epochs: int = 24
    batch_size: int = 32
    frames: int = 256  # crop length (4.1 s); serving reads the whole clip
    lr: float = 2e-3
    weight_decay: float = 1e-4
    width: int = 16
    temperature: float = 0.1  # NT-Xent
    contrastive_weight: float = 0.5
    seed: int = 13
    device: str = "auto"
    workers: int = 0
    max_steps: int | None = None  # tests: stop early


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's loss: each crop must find its partner among the 2N-1 other crops of the batch."""
    z = torch.cat([z1, z2])
    n = z1.shape[0]
    logits = z @ z.T / temperature
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, targets)


def distillation(logits: torch.Tensor, teacher: torch.Tensor, has: torch.Tensor) -> torch.Tensor:
    """KL(teacher || student) over the songs that have lyrics; 0 when none do."""
    if not bool(has.any()):
        return logits.sum() * 0.0
    log_p = F.log_softmax(logits[has], dim=-1)
    return F.kl_div(log_p, teacher[has], reduction="batchmean")


def band_statistics(songs: list[Song], limit: int = 256) -> tuple[np.ndarray, np.ndarray]:
    stack = np.concatenate([load_mel(s.path) for s in songs[:limit]], axis=1)
    return stack.mean(axis=1), np.maximum(stack.std(axis=1), 1.0)


@torch.no_grad()
def predict(model: MelCNN, songs: list[Song], device, batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities [N, 6], embeddings [N, 512]) of whole clips, with the torch model."""
    model.eval()
    probs, embs = [], []
    for i in range(0, len(songs), batch_size):
        chunk = [load_mel(s.path) for s in songs[i : i + batch_size]]
        shortest = min(m.shape[1] for m in chunk)
        batch = torch.from_numpy(np.stack([m[:, :shortest] for m in chunk])).to(device)
        logits, emb = model(batch)
        probs.append(torch.softmax(logits, -1).cpu().numpy())
        embs.append(emb.cpu().numpy())
    return np.concatenate(probs), np.concatenate(embs)


def dev_kl(model: MelCNN, dev: list[Song], device) -> float:
    taught = [s for s in dev if s.teacher is not None]
    if not taught:
        return float("nan")
    probs, _ = predict(model, taught, device)
    teacher = np.stack([s.teacher for s in taught])
    return float(np.mean(np.sum(teacher * (np.log(teacher + 1e-8) - np.log(probs + 1e-8)), axis=1)))


def load_catalog(config: AudioTrainConfig) -> Catalog:
    teacher = read_teacher(Path(config.teacher)) if config.teacher else None
    return kakao_catalog(Path(config.mels), Path(config.songs), teacher, min_frames=16)


def run(config: AudioTrainConfig, catalog: Catalog | None = None) -> Path:
    """Trains (or resumes) into config.out; returns it. best.pt holds the kept epoch."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    seed_everything(config.seed)
    device = pick_device(config.device)
    catalog = catalog or load_catalog(config)
    parts = catalog.split()
    train, dev = parts["train"], parts["dev"]
    if not train:
        raise ValueError(f"no training songs under {config.mels} (skipped: {catalog.skipped})")
    model = MelCNN(width=config.width).to(device)
    mean, std = band_statistics(train)
    model.band_mean.copy_(torch.from_numpy(mean))
    model.band_std.copy_(torch.from_numpy(std))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    dataset = CropPairs(train, config.frames, config.seed)
    loader_gen = torch.Generator().manual_seed(config.seed)
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps)))
    history, start_epoch, best = [], 0, math.inf
    checkpoint = out / CHECKPOINT
    if checkpoint.is_file():  # resume where the last run stopped
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        if state["config"] != asdict(config):
            raise ValueError(f"{checkpoint} was written with another configuration; use a fresh --out")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        loader_gen.set_state(state["loader_rng"])
        history, start_epoch, best = state["history"], state["epoch"] + 1, state["best"]
    steps = start_epoch * steps_per_epoch
    started = time.perf_counter()
    for epoch in range(start_epoch, config.epochs):
        model.train()
        dataset.epoch = epoch
        loader = torch.utils.data.DataLoader(dataset, batch_size=config.batch_size, shuffle=True, drop_last=len(train) > config.batch_size,
                                             num_workers=config.workers, generator=loader_gen)
        totals = {"kl": 0.0, "contrastive": 0.0, "batches": 0}
        for v1, v2, teacher, has in tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", leave=False, disable=None):
            v1, v2, teacher, has = v1.to(device), v2.to(device), teacher.to(device), has.to(device)
            logits, z = model(torch.cat([v1, v2]))
            n = v1.shape[0]
            kl = distillation(logits, torch.cat([teacher, teacher]), torch.cat([has, has]))
            contrastive = nt_xent(z[:n], z[n:], config.temperature)
            loss = kl + config.contrastive_weight * contrastive
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            totals["kl"] += float(kl.detach())
            totals["contrastive"] += float(contrastive.detach())
            totals["batches"] += 1
            steps += 1
            if config.max_steps is not None and steps >= config.max_steps:
                break
        score = dev_kl(model, dev, device) if dev else float("nan")
        record = {"epoch": epoch + 1, "train_kl": totals["kl"] / max(1, totals["batches"]),
                  "train_contrastive": totals["contrastive"] / max(1, totals["batches"]), "dev_kl": score,
                  "seconds": round(time.perf_counter() - started, 1)}
        history.append(record)
        print(json.dumps(record), flush=True)
        if not (score >= best):  # lower dev KL is better; NaN (no dev teacher) keeps the latest
            best = score if score == score else best
            torch.save({"model": model.state_dict(), "width": config.width, "epoch": epoch + 1}, out / BEST)
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                    "loader_rng": loader_gen.get_state(), "history": history, "epoch": epoch, "best": best,
                    "config": asdict(config)}, checkpoint)
        if config.max_steps is not None and steps >= config.max_steps:
            break
    (out / "history.json").write_text(json.dumps({"config": asdict(config), "history": history,
                                                  "songs": {k: len(v) for k, v in parts.items()},
                                                  "skipped": catalog.skipped}, indent=2))
    return out


def load_best(run_dir: Path, device: str = "cpu") -> MelCNN:
    state = torch.load(Path(run_dir) / BEST, map_location=device, weights_only=False)
    model = MelCNN(width=state["width"])
    model.load_state_dict(state["model"])
    return model.eval()


def parse_args(argv: list[str] | None = None) -> AudioTrainConfig:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = AudioTrainConfig("", "", "")
    parser.add_argument("--mels", required=True, help="Kakao Arena mel directory ({id//1000}/{id}.npy)")
    parser.add_argument("--songs", required=True, help="song_meta.json")
    parser.add_argument("--out", required=True, help="run directory (same one = resume)")
    parser.add_argument("--teacher", help="JSON {song id: six lyrics probabilities}")
    for name in ("epochs", "batch_size", "frames", "width", "seed", "workers"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    for name in ("lr", "temperature", "contrastive_weight"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=float, default=getattr(defaults, name))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--max-steps", type=int)
    return AudioTrainConfig(**vars(parser.parse_args(argv)))


if __name__ == "__main__":
    run(parse_args())

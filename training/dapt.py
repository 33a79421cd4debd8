"""Domain-adaptive pre-training (DAPT): continue masked-language-model training of a backbone on
unlabelled text, in stages from the widest domain to the narrowest, as the original project did.

    python -m training.dapt --backbone DIR --out DIR [--steps 300,300,300] [--mask-rate 0.15] [--resume]

The default plan (each stage a corpus and a step budget, in this order):
  1. lyrics        the project's lyric fragments, line by line (independent of the demo catalog)
  2. everyday      the conversational sentences, plus KOTE's comments when --kote names them
  3. emotional     the labelled training sentences and fragments, labels dropped
Masking is whole-word: SentencePiece marks a word's first piece with "▁", so a word's pieces are
masked together (80% <mask>, 10% a random piece, 10% unchanged), which suits Korean, whose words
split into several pieces. The output is a backbone directory that `training.train --backbone` takes.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from tokenizers import Tokenizer
from tqdm import tqdm
from transformers import AutoModelForMaskedLM

from training.corpora import load_kote, load_project
from training.splits import split

WORD_START = "▁"


@dataclass
class Stage:
    name: str
    texts: list[str]
    steps: int


def default_plan(steps: list[int], data_dir: Path | None = None, kote: Path | None = None) -> list[Stage]:
    kwargs = {"data_dir": data_dir} if data_dir else {}
    lyrics = load_project("lyrics", **kwargs)
    conversation = load_project("conversation", **kwargs)
    everyday = [e.text for e in conversation] + ([e.text for e in load_kote(kote)] if kote else [])
    labelled = [e.text for corpus in (conversation, lyrics) for e in split(corpus)["train"]]
    texts = [[line for e in lyrics for line in e.text.split(" / ")], everyday, labelled]
    names = ["lyrics", "everyday", "emotional"]
    return [Stage(n, t, s) for n, t, s in zip(names, texts, steps)]


class WholeWordMasker:
    def __init__(self, tokenizer: Tokenizer, rate: float, max_length: int, seed: int):
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length)
        self.rate = rate
        self.mask_id = tokenizer.token_to_id("<mask>")
        self.pad_id = tokenizer.token_to_id("<pad>")
        if self.mask_id is None or self.pad_id is None:
            raise ValueError("the tokenizer has no <mask> or <pad> token")
        self.special = {tokenizer.token_to_id(t) for t in ("<s>", "</s>", "<pad>", "<unk>", "<mask>")}
        self.vocab_size = tokenizer.get_vocab_size()
        self.rng = random.Random(seed)

    def __call__(self, texts: list[str]) -> dict[str, torch.Tensor]:
        encodings = self.tokenizer.encode_batch(texts)
        longest = max(len(e.ids) for e in encodings)
        ids = torch.full((len(texts), longest), self.pad_id, dtype=torch.long)
        labels = torch.full_like(ids, -100)  # -100: not predicted
        mask = torch.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            words: list[list[int]] = []
            for position, (token_id, token) in enumerate(zip(encoding.ids, encoding.tokens)):
                if token_id in self.special:
                    continue
                if token.startswith(WORD_START) or not words:
                    words.append([])
                words[-1].append(position)
            ids[row, : len(encoding.ids)] = torch.tensor(encoding.ids)
            mask[row, : len(encoding.ids)] = 1
            chosen = [w for w in words if self.rng.random() < self.rate] or ([self.rng.choice(words)] if words else [])
            for word in chosen:
                for position in word:
                    labels[row, position] = ids[row, position]
                    roll = self.rng.random()
                    if roll < 0.8:
                        ids[row, position] = self.mask_id
                    elif roll < 0.9:
                        ids[row, position] = self.rng.randrange(self.vocab_size)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}


@torch.no_grad()
def mlm_loss(model, masker: WholeWordMasker, texts: list[str], device, batch_size: int = 32, seed: int = 0) -> float:
    """Mean MLM loss on the texts with a fixed masking, so two models are compared on equal terms."""
    model.eval()
    masker.rng = random.Random(seed)
    losses = []
    for i in range(0, len(texts), batch_size):
        batch = {k: v.to(device) for k, v in masker(texts[i : i + batch_size]).items()}
        losses.append(model(**batch).loss.item())
    return float(sum(losses) / len(losses))


def save_backbone(model, backbone: Path, out: Path, history: list[dict]) -> None:
    """The encoder without its MLM head, in the layout training takes as --backbone."""
    out.mkdir(parents=True, exist_ok=True)
    model.base_model.save_pretrained(str(out))
    shutil.copyfile(backbone / "tokenizer.json", out / "tokenizer.json")
    info = json.loads((backbone / "backbone.json").read_text()) if (backbone / "backbone.json").exists() else {}
    info["dapt"] = history
    (out / "backbone.json").write_text(json.dumps(info, ensure_ascii=False, indent=1))


def run(backbone: Path, out: Path, stages: list[Stage], *, mask_rate: float = 0.15, batch_size: int = 16,
        lr: float = 5e-5, max_length: int = 128, seed: int = 13, resume: bool = False, device: str = "auto",
        checkpoint_every: int = 100) -> list[dict]:
    torch.manual_seed(seed)
    device = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else ("cpu" if device == "auto" else device))
    model = AutoModelForMaskedLM.from_pretrained(str(backbone)).to(device)
    masker = WholeWordMasker(Tokenizer.from_file(str(backbone / "tokenizer.json")), mask_rate, max_length, seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    checkpoint = out / "checkpoint.pt"
    done = {"stage": 0, "step": 0, "history": []}
    if resume and checkpoint.exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        done = state["progress"]
        print(f"resuming at stage {done['stage'] + 1}, step {done['step']}")
    rng = random.Random(seed)
    for number, stage in enumerate(stages):
        if number < done["stage"]:
            continue
        sample = stage.texts[: min(256, len(stage.texts))]
        before = mlm_loss(model, masker, sample, device)
        model.train()
        start = done["step"] if number == done["stage"] else 0
        for step in tqdm(range(start, stage.steps), desc=f"DAPT {stage.name}", disable=None):
            batch = {k: v.to(device) for k, v in masker(rng.sample(stage.texts, min(batch_size, len(stage.texts)))).items()}
            loss = model(**batch).loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            if (step + 1) % checkpoint_every == 0:
                out.mkdir(parents=True, exist_ok=True)
                torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                            "progress": {**done, "stage": number, "step": step + 1}}, checkpoint)
        after = mlm_loss(model, masker, sample, device)
        done["history"].append({"stage": stage.name, "texts": len(stage.texts), "steps": stage.steps,
                                "mlm_loss_before": round(before, 4), "mlm_loss_after": round(after, 4)})
        done.update(stage=number + 1, step=0)
        print(f"stage {stage.name}: MLM loss {before:.3f} -> {after:.3f} ({stage.steps} steps)")
    save_backbone(model.cpu(), backbone, out, done["history"])
    checkpoint.unlink(missing_ok=True)
    return done["history"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbone", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", default="300,300,300", help="step budget of each stage, in order")
    parser.add_argument("--mask-rate", type=float, default=0.15)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--kote", type=Path, help="KOTE val.tsv (or its directory) for the everyday stage")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    stages = default_plan([int(s) for s in args.steps.split(",")], args.data_dir, args.kote)
    run(args.backbone, args.out, stages, mask_rate=args.mask_rate, batch_size=args.batch_size, lr=args.lr,
        resume=args.resume, device=args.device)


if __name__ == "__main__":
    main()

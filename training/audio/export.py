"""Export the audio model as an artifact (services/classifier/artifact.py, AudioModelCard).

fp32 ONNX with dynamic batch and time axes, checked against torch (max |Δp| and |Δembedding|).
int8 (dynamic quantization) is always checked and recorded, but shipped only when asked for
(`quantize=True`) and where it keeps the top label of >= 98% of dev songs and the embedding's cosine
to fp32 >= 0.99. It is not the default: ONNX Runtime runs dynamically quantized convolutions
(ConvInteger) without fast kernels, and bench/audio.py measured int8 at a fifth of fp32's speed on
this CPU, so for this CNN int8 saves 0.7 MB and costs time.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic

from services.classifier.artifact import AUDIO_FP32_FILE, AUDIO_INPUT, AUDIO_OUTPUTS, MODEL_FILE, AudioModelCard
from training.audio.data import Song, load_mel
from training.audio.model import MelCNN, ServingModel
from training.export import OPSET

INT8_MIN_AGREEMENT = 0.98
INT8_MIN_COSINE = 0.99


def export_fp32(model: MelCNN, path: Path) -> None:
    wrapped = ServingModel(model.eval()).eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapped, (torch.zeros(2, 48, 256),), str(path), input_names=[AUDIO_INPUT], output_names=list(AUDIO_OUTPUTS),
            dynamic_axes={AUDIO_INPUT: {0: "batch", 2: "time"}, AUDIO_OUTPUTS[0]: {0: "batch"}, AUDIO_OUTPUTS[1]: {0: "batch"}},
            opset_version=OPSET, dynamo=False, do_constant_folding=True,
        )


def run_onnx(path: Path, mels: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probs, embs = zip(*(session.run(list(AUDIO_OUTPUTS), {AUDIO_INPUT: m[None]}) for m in mels))
    return np.concatenate(probs), np.concatenate(embs)


def export_checks(model: MelCNN, fp32: Path, int8: Path, dev: list[Song]) -> dict:
    mels = [load_mel(s.path) for s in dev]
    # Different lengths too: the time axis is dynamic.
    mels += [m[:, : 125 + 37 * i] for i, m in enumerate(mels[:3])]
    with torch.no_grad():
        ref = [ServingModel(model.eval())(torch.from_numpy(m[None])) for m in mels]
    ref_p = np.concatenate([r[0].numpy() for r in ref])
    ref_e = np.concatenate([r[1].numpy() for r in ref])
    p32, e32 = run_onnx(fp32, mels)
    p8, e8 = run_onnx(int8, mels[: len(dev)])
    return {
        "examples": len(mels),
        "fp32_vs_torch_max_abs_diff": float(np.abs(p32 - ref_p).max()),
        "fp32_vs_torch_embedding_max_abs_diff": float(np.abs(e32 - ref_e).max()),
        "int8_vs_fp32_top_label_agreement": round(float((p8.argmax(1) == p32[: len(dev)].argmax(1)).mean()), 4),
        "int8_vs_fp32_embedding_cosine_min": round(float((e8 * e32[: len(dev)]).sum(1).min()), 4),
    }


def write_artifact(model: MelCNN, out_dir: Path, card: AudioModelCard, dev: list[Song],
                   quantize: bool = False) -> tuple[Path, dict]:
    """model.onnx (int8 when asked for and it passes the checks, with the fp32 graph beside it as
    model-fp32.onnx; else fp32) and model.json; returns (dir, checks)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        fp32, int8 = Path(scratch) / "fp32.onnx", Path(scratch) / "int8.onnx"
        export_fp32(model, fp32)
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
        checks = export_checks(model, fp32, int8, dev)
        if checks["fp32_vs_torch_max_abs_diff"] >= 1e-4:
            raise RuntimeError(f"the fp32 graph differs from torch: {checks}")
        use_int8 = quantize and (checks["int8_vs_fp32_top_label_agreement"] >= INT8_MIN_AGREEMENT
                    and checks["int8_vs_fp32_embedding_cosine_min"] >= INT8_MIN_COSINE)
        shutil.copyfile(int8 if use_int8 else fp32, out_dir / MODEL_FILE)
        (out_dir / AUDIO_FP32_FILE).unlink(missing_ok=True)
        if use_int8:
            shutil.copyfile(fp32, out_dir / AUDIO_FP32_FILE)
    evaluation = {**card.evaluation, "export": checks}
    dataclasses.replace(card, quantization="int8-dynamic" if use_int8 else "none", evaluation=evaluation).write(out_dir)
    return out_dir, checks

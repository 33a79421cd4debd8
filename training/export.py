"""Export a fine-tuned sequence-classification model as a moodtune model artifact.

The artifact's ONNX graph takes input_ids and attention_mask and returns the six
probabilities in canonical order, with the calibration temperature folded in,
so serving runs softmax-free and never needs to know the model's own label order.

    fp32 ONNX (dynamic batch and sequence axes) -> int8 dynamic quantization
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import onnx
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic

from services.classifier.artifact import MODEL_FILE, TOKENIZER_FILE, ModelCard
from services.common.labels import EMOTIONS, emotion_index

OPSET = 17


class ProbabilityModel(torch.nn.Module):
    """The classifier with softmax(logits / temperature) on top, in canonical label order."""

    def __init__(self, classifier: torch.nn.Module, order: list[int], temperature: float = 1.0):
        super().__init__()
        self.classifier = classifier
        self.register_buffer("order", torch.tensor(order, dtype=torch.long), persistent=False)
        self.temperature = float(temperature)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        logits = self.classifier(input_ids=input_ids, attention_mask=attention_mask).logits
        return torch.softmax(logits[:, self.order] / self.temperature, dim=-1)


def canonical_order(id2label: dict[int, str]) -> list[int]:
    """Model output index for each canonical emotion, from the model's label names.

    Labels may be English ids or the Korean names (e.g. the original project's
    기쁨/긴장/평화/슬픔/분노/중립 order); the mapping happens here, at export, never at serving.
    """
    by_canonical = {emotion_index(str(name)): int(i) for i, name in id2label.items()}
    if sorted(by_canonical) != list(range(len(EMOTIONS))):
        raise ValueError(f"the model's labels {id2label} do not name the six emotions")
    return [by_canonical[i] for i in range(len(EMOTIONS))]


def export_fp32(model: torch.nn.Module, path: Path, temperature: float = 1.0) -> None:
    model = model.eval()
    wrapped = ProbabilityModel(model, canonical_order(model.config.id2label), temperature).eval()
    dummy_ids = torch.ones((2, 8), dtype=torch.long)
    dummy_mask = torch.ones((2, 8), dtype=torch.long)
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about shape-dependent Python branches in transformers' masking code;
        # the export checks (padded batches against torch) are what prove the graph right.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapped,
            (dummy_ids, dummy_mask),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["probabilities"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "probabilities": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,  # the TorchScript exporter: one self-contained file, no onnxscript needed
            do_constant_folding=True,
        )


_FFN_OUTPUT = re.compile(r"layer\.(\d+)/output/dense/MatMul$")


def float_kept_nodes(model_path: Path) -> list[str]:
    """The MatMuls left in float: the feed-forward output projections of the first half of the layers.

    Their inputs (after GELU) span the widest range, and dynamic quantization maps that range to
    256 levels per call; measured on dev, quantizing them cost 3 points of top-label agreement with
    fp32, keeping them float costs 10 MB (docs/model-report.md).
    """
    names = [n.name for n in onnx.load(str(model_path), load_external_data=False).graph.node if n.op_type == "MatMul"]
    layers = {int(m.group(1)) for n in names if (m := _FFN_OUTPUT.search(n))}
    half = (max(layers) + 1) // 2 if layers else 0
    return [n for n in names if (m := _FFN_OUTPUT.search(n)) and int(m.group(1)) < half]


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic quantization: weights to 8 bits per output channel, activations at run time."""
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     nodes_to_exclude=float_kept_nodes(source))


def write_artifact(
    model: torch.nn.Module,
    tokenizer_json: Path,
    out_dir: Path,
    card: ModelCard,
    *,
    temperature: float = 1.0,
    quantize: bool = True,
    keep_fp32: Path | None = None,
) -> Path:
    """Writes model.onnx, tokenizer.json and model.json into out_dir; returns out_dir.

    `keep_fp32` also saves the unquantized graph there (for the export checks).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "fp32.onnx"
        export_fp32(model, fp32, temperature)
        if keep_fp32 is not None:
            shutil.copyfile(fp32, keep_fp32)
        if quantize:
            quantize_int8(fp32, out_dir / MODEL_FILE)
        else:
            shutil.copyfile(fp32, out_dir / MODEL_FILE)
    shutil.copyfile(tokenizer_json, out_dir / TOKENIZER_FILE)
    dataclasses.replace(card, quantization="int8-dynamic" if quantize else "none").write(out_dir)
    return out_dir

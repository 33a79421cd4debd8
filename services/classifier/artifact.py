"""The model artifact directories (DESIGN.md, "Model artifact", "Sound"): the one contract that
training writes and serving reads.

Text model (ModelCard):
model.onnx      inputs input_ids, attention_mask (int64, [batch, seq]);
                output probabilities (float32, [batch, 6], canonical order)
tokenizer.json  Hugging Face tokenizers format
model.json      the card below

Calibration per kind of text: the graph folds one temperature in (`folded_temperature`); the card
may name another per kind (`temperatures`, e.g. {"utterance": 1.4, "lyrics": 2.1}). Since
softmax(z / T) is proportional to softmax(z / T0) ** (T0 / T), the runtime turns the folded
probabilities into the kind's own with `ModelCard.calibrate`, no logits needed. A card without
these fields (older artifacts) is served as it was: exponent 1.

Audio model (AudioModelCard):
model.onnx      input mel (float32, [batch, 48, time], dB as services/common/audio/mel.py defines);
                outputs probabilities (float32, [batch, 6], canonical order) and
                embedding (float32, [batch, 512], L2-normalised)
model.json      the audio card below (its input contract says bands, rate, frames and dB convention)
model-fp32.onnx the unquantized graph, beside an int8 model.onnx (benchmarks compare the two)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from services.common.labels import EMOTIONS

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CARD_FILE = "model.json"


class ArtifactError(ValueError):
    """The directory is not a usable model artifact."""


def _read_card(directory: Path) -> tuple[Path, dict[str, Any], tuple[str, ...]]:
    """model.json's path, its content and its labels, checked to be the canonical order."""
    path = Path(directory) / CARD_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"{path} is missing: not a model artifact directory") from exc
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path} is not valid JSON: {exc}") from exc
    labels = tuple(raw.get("labels", ()))
    if labels != EMOTIONS:
        raise ArtifactError(
            f"{path}: labels {list(labels)} are not the canonical order {list(EMOTIONS)}; "
            "map the model's head to the canonical order when exporting"
        )
    return path, raw, labels


def _write_card(directory: Path, content: dict[str, Any]) -> None:
    (Path(directory) / CARD_FILE).write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class ModelCard:
    name: str
    version: str
    labels: tuple[str, ...]
    max_length: int
    input_prefix: str = ""
    backbone: str = ""
    trained_on: tuple[str, ...] = ()
    # split name -> {"examples", "macro_f1", "accuracy", "ece", "f1_per_class": {...}, ...}
    evaluation: dict[str, dict[str, Any]] = field(default_factory=dict)
    quantization: str = "none"
    folded_temperature: float = 1.0  # the temperature inside model.onnx
    temperatures: dict[str, float] = field(default_factory=dict)  # kind ("utterance", "lyrics") -> temperature

    def calibration_exponent(self, kind: str) -> float:
        return self.folded_temperature / self.temperatures.get(kind, self.folded_temperature)

    def calibrate(self, probabilities: np.ndarray, kind: str) -> np.ndarray:
        """The folded probabilities [n, 6] recalibrated to `kind`'s temperature (unchanged when it has none)."""
        exponent = self.calibration_exponent(kind)
        if exponent == 1.0 or len(probabilities) == 0:
            return probabilities
        powered = np.power(np.asarray(probabilities, dtype=np.float64), exponent)
        return (powered / powered.sum(axis=1, keepdims=True)).astype(np.float32)

    @classmethod
    def read(cls, directory: Path) -> "ModelCard":
        path, raw, labels = _read_card(directory)
        try:
            return cls(
                name=str(raw["name"]),
                version=str(raw["version"]),
                labels=labels,
                max_length=int(raw["max_length"]),
                input_prefix=str(raw.get("input_prefix", "")),
                backbone=str(raw.get("backbone", "")),
                trained_on=tuple(raw.get("trained_on", ())),
                evaluation=dict(raw.get("evaluation", {})),
                quantization=str(raw.get("quantization", "none")),
                folded_temperature=float(raw.get("folded_temperature", 1.0)),
                temperatures={str(k): float(v) for k, v in raw.get("temperatures", {}).items()},
            )
        except KeyError as exc:
            raise ArtifactError(f"{path} lacks the field {exc.args[0]!r}") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise ArtifactError(f"{path}: a field has the wrong type: {exc}") from exc

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "labels": list(self.labels),
            "max_length": self.max_length,
            "input_prefix": self.input_prefix,
            "backbone": self.backbone,
            "trained_on": list(self.trained_on),
            "quantization": self.quantization,
            "folded_temperature": self.folded_temperature,
            "temperatures": self.temperatures,
            "evaluation": self.evaluation,
        }

    def write(self, directory: Path) -> None:
        _write_card(directory, self.to_json())


AUDIO_KIND = "audio-mel"
AUDIO_FP32_FILE = "model-fp32.onnx"
AUDIO_INPUT = "mel"
AUDIO_OUTPUTS = ("probabilities", "embedding")
EMBEDDING_DIM = 512


@dataclass(frozen=True)
class AudioModelCard:
    """model.json of an audio artifact. `input` is the mel contract the model was trained on."""

    name: str
    version: str
    labels: tuple[str, ...]
    embedding_dim: int
    # bands, sample_rate, frame_size, hop_size, clip_seconds, frames (the dataset's), train_frames,
    # min_frames, db_convention: services/common/audio/mel.py writes them (audio_input_contract()).
    input: dict[str, Any]
    architecture: str = ""
    parameters: int = 0
    trained_on: tuple[str, ...] = ()
    evaluation: dict[str, dict[str, Any]] = field(default_factory=dict)
    quantization: str = "none"
    kind: str = AUDIO_KIND

    @classmethod
    def read(cls, directory: Path) -> "AudioModelCard":
        path, raw, labels = _read_card(directory)
        if raw.get("kind") != AUDIO_KIND:
            raise ArtifactError(f"{path} is not an audio model card (kind {raw.get('kind')!r}, expected {AUDIO_KIND!r})")
        try:
            return cls(
                name=str(raw["name"]),
                version=str(raw["version"]),
                labels=labels,
                embedding_dim=int(raw["embedding_dim"]),
                input=dict(raw["input"]),
                architecture=str(raw.get("architecture", "")),
                parameters=int(raw.get("parameters", 0)),
                trained_on=tuple(raw.get("trained_on", ())),
                evaluation=dict(raw.get("evaluation", {})),
                quantization=str(raw.get("quantization", "none")),
            )
        except KeyError as exc:
            raise ArtifactError(f"{path} lacks the field {exc.args[0]!r}") from exc

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "version": self.version,
            "labels": list(self.labels),
            "embedding_dim": self.embedding_dim,
            "input": self.input,
            "outputs": list(AUDIO_OUTPUTS),
            "architecture": self.architecture,
            "parameters": self.parameters,
            "trained_on": list(self.trained_on),
            "quantization": self.quantization,
            "evaluation": self.evaluation,
        }

    def write(self, directory: Path) -> None:
        _write_card(directory, self.to_json())

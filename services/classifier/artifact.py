"""The model artifact directory (DESIGN.md, "Model artifact").

model.onnx      inputs input_ids, attention_mask (int64, [batch, seq]);
                output probabilities (float32, [batch, 6], canonical order)
tokenizer.json  Hugging Face tokenizers format
model.json      the card below

Calibration per kind of text: the graph folds one temperature in (`folded_temperature`); the card
may name another per kind (`temperatures`, e.g. {"utterance": 1.4, "lyrics": 2.1}). Since
softmax(z / T) is proportional to softmax(z / T0) ** (T0 / T), the runtime turns the folded
probabilities into the kind's own with `ModelCard.calibrate`, no logits needed. A card without
these fields (older artifacts) is served as it was: exponent 1.
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
        (Path(directory) / CARD_FILE).write_text(
            json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )

"""Per-kind calibration: the card names a temperature per kind of text and the runtime applies it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from services.classifier.artifact import ArtifactError, ModelCard
from services.classifier.core import TextKind, assemble, plan
from services.classifier.model import EmotionModel
from services.common.labels import EMOTIONS


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def card(**fields) -> ModelCard:
    return ModelCard(name="m", version="1", labels=EMOTIONS, max_length=64, **fields)


def test_calibrate_turns_the_folded_temperature_into_the_kinds_own():
    logits = np.random.default_rng(0).normal(scale=4.0, size=(5, 6))
    folded = softmax(logits / 1.5)
    c = card(folded_temperature=1.5, temperatures={"utterance": 1.5, "lyrics": 3.0})
    assert np.allclose(c.calibrate(folded, "lyrics"), softmax(logits / 3.0), atol=1e-6)
    assert c.calibrate(folded, "utterance") is folded  # its own temperature: untouched


def test_an_artifact_without_kind_temperatures_is_served_as_before(tmp_path):
    raw = {"name": "old", "version": "0", "labels": list(EMOTIONS), "max_length": 128}
    (tmp_path / "model.json").write_text(json.dumps(raw))
    old = ModelCard.read(tmp_path)
    probabilities = softmax(np.random.default_rng(1).normal(size=(3, 6))).astype(np.float32)
    assert old.calibration_exponent("lyrics") == 1.0
    assert old.calibrate(probabilities, "lyrics") is probabilities


def test_a_card_with_a_bad_temperature_is_an_artifact_error(tmp_path):
    raw = {"name": "bad", "version": "0", "labels": list(EMOTIONS), "max_length": 128, "temperatures": {"lyrics": "hot"}}
    (tmp_path / "model.json").write_text(json.dumps(raw))
    with pytest.raises(ArtifactError, match="wrong type"):
        ModelCard.read(tmp_path)


def test_lyrics_get_the_lyrics_temperature_in_the_serving_path(tiny_model_dir, tmp_path):
    artifact = tmp_path / "artifact"
    shutil.copytree(tiny_model_dir, artifact)
    raw = json.loads((artifact / "model.json").read_text())
    raw.update(folded_temperature=1.0, temperatures={"utterance": 1.0, "lyrics": 0.25})
    (artifact / "model.json").write_text(json.dumps(raw))
    model = EmotionModel(artifact)
    line = "비가 와서 그런지 괜히 우울하네"
    raw_probabilities = model.predict([line])

    def classify(kind):
        work = plan([line], kind, model, window_lines=4)
        return np.array(assemble(work, model.predict(work.units))[0].probabilities)

    assert np.allclose(classify(TextKind.UTTERANCE), raw_probabilities[0], atol=1e-6)
    sharpened = raw_probabilities[0] ** 4.0  # folded 1.0 / lyrics 0.25
    assert np.allclose(classify(TextKind.LYRICS), sharpened / sharpened.sum(), atol=1e-5)


def test_ece_floor_is_what_a_calibrated_model_shows_on_a_small_split():
    """Labels drawn from the model's own probabilities are calibrated by construction, yet on 138
    texts their ECE is far from 0: the floor says how far, and shrinks as the split grows."""
    from training.evaluate import ece_if_calibrated, expected_calibration_error

    rng = np.random.default_rng(1)

    def split(n: int) -> np.ndarray:
        return softmax(rng.normal(scale=3.0, size=(n, 6)))

    small, large = split(138), split(5000)
    measured = np.mean([expected_calibration_error(small, np.array([rng.choice(6, p=row) for row in small]))
                        for _ in range(50)])
    assert ece_if_calibrated(small) == pytest.approx(measured, abs=0.015)
    assert ece_if_calibrated(small) > 0.04
    assert ece_if_calibrated(large) < ece_if_calibrated(small) / 3
    sure_and_right = np.eye(6)[rng.integers(0, 6, 138)]  # confidence 1, always right: no gap at all
    assert ece_if_calibrated(sure_and_right) == 0.0

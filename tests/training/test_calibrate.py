"""Refitting an existing artifact's per-kind temperatures from its served probabilities."""

from __future__ import annotations

import json
import shutil

import numpy as np

from services.classifier.model import EmotionModel
from tests.training.test_build import tiny_corpus
from training.calibrate import refit
from training.train import TrainConfig, load_splits, model_text


def dev_nll(model: EmotionModel, examples, kind: str) -> float:
    probabilities = model.card.calibrate(model.predict([model_text(e) for e in examples]), kind)
    targets = np.array([e.distribution for e in examples])
    return float(-(targets * np.log(np.clip(probabilities, 1e-12, 1))).sum(axis=1).mean())


def test_refit_gives_each_kind_a_temperature_that_does_not_worsen_its_dev_nll(tiny_model_dir, tmp_path):
    artifact = tmp_path / "artifact"
    shutil.copytree(tiny_model_dir, artifact)
    data = tiny_corpus(tmp_path / "data", per_emotion=20)
    lyrics_dev = load_splits(TrainConfig(backbone="", out="", data_dir=str(data)))["lyrics"]["dev"]
    before = dev_nll(EmotionModel(artifact), lyrics_dev, "lyrics")
    temperatures = refit(artifact, data)
    card = json.loads((artifact / "model.json").read_text())
    assert set(card["temperatures"]) == {"utterance", "lyrics"} == set(temperatures)
    assert card["folded_temperature"] == 1.0  # the tiny artifact folds none
    after = dev_nll(EmotionModel(artifact), lyrics_dev, "lyrics")
    assert after <= before + 1e-6, (before, after)

"""The shipped audio model: small, describes its input contract, and serves through ONNX Runtime."""

from __future__ import annotations

import numpy as np

from services.classifier.artifact import AUDIO_FP32_FILE, AudioModelCard
from services.classifier.audio_model import AudioEmotionModel
from services.common.audio.mel import DB_CONVENTION, DATASET_FRAMES
from services.common.settings import DEFAULT_AUDIO_MODEL_DIR, ClassifierSettings


def test_the_shipped_audio_model_is_the_default_and_small():
    assert ClassifierSettings().audio_model_dir == DEFAULT_AUDIO_MODEL_DIR
    total = sum(p.stat().st_size for p in DEFAULT_AUDIO_MODEL_DIR.iterdir())
    assert total < 15 * 1024 * 1024
    card = AudioModelCard.read(DEFAULT_AUDIO_MODEL_DIR)
    assert card.input["db_convention"] == DB_CONVENTION and card.input["frames"] == DATASET_FRAMES
    # fp32: int8 convolutions are slower on CPU (bench/audio.py); the card still records int8's agreement.
    assert card.quantization == "none" and not (DEFAULT_AUDIO_MODEL_DIR / AUDIO_FP32_FILE).exists()
    assert 0.0 <= card.evaluation["export"]["int8_vs_fp32_top_label_agreement"] <= 1.0
    test = card.evaluation["test"]
    # The card carries the figures the README reports, the model ahead of both baselines.
    assert test["model"]["macro_f1"] > test["hand_features_linear"]["macro_f1"] > test["majority"]["macro_f1"]
    assert card.evaluation["export"]["fp32_vs_torch_max_abs_diff"] < 1e-4


def test_the_shipped_audio_model_hears_a_dataset_shaped_mel():
    model = AudioEmotionModel(DEFAULT_AUDIO_MODEL_DIR, intra_op_threads=1)
    mel = np.random.default_rng(0).normal(-20, 15, (48, DATASET_FRAMES)).astype(np.float16).astype(np.float32)
    probabilities, embeddings = model.predict([mel, mel[:, :500]])
    assert np.allclose(probabilities.sum(1), 1, atol=1e-5)
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1, atol=1e-3)


def test_an_empty_audio_model_dir_turns_audio_off(monkeypatch):
    monkeypatch.setenv("MOODTUNE_AUDIO_MODEL_DIR", "")
    assert ClassifierSettings().audio_model_dir is None

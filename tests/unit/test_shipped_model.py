"""The model artifact shipped in models/: complete, small, calibrated, and right on plain cases."""

from __future__ import annotations

import json

import pytest

from services.classifier.model import EmotionModel
from services.common.labels import EMOTIONS
from services.common.settings import DEFAULT_MODEL_DIR
from training.corpora import HARD_FORMS

CARD = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def model():
    return EmotionModel(DEFAULT_MODEL_DIR, intra_op_threads=1)


def test_artifact_is_small_int8_and_canonical():
    assert (DEFAULT_MODEL_DIR / "model.onnx").stat().st_size <= 40 * 1024 * 1024
    assert CARD["labels"] == list(EMOTIONS)
    assert CARD["quantization"] == "int8-dynamic"


def test_recorded_figures_meet_the_goals():
    evaluation = CARD["evaluation"]
    assert evaluation["conversation-test"]["macro_f1"] >= 0.85
    assert evaluation["lyrics-test"]["macro_f1"] >= 0.80
    assert evaluation["conversation-test"]["ece"] <= 0.05
    assert CARD["export_checks"]["fp32_vs_torch_max_abs_diff"] < 1e-4
    assert CARD["export_checks"]["int8_vs_fp32_top_label_agreement"] >= 0.98


def test_every_split_is_recorded():
    """Conversation, lyrics, the KOTE test part, two feelings and hard forms, each with its own figures."""
    evaluation = CARD["evaluation"]
    assert set(evaluation) >= {"conversation-test", "lyrics-test", "kote-test", "mixed-test", "hard-test"}
    assert 0.0 <= evaluation["mixed-test"]["two_feelings"]["both_top_two"] <= 1.0
    assert evaluation["kote-test"]["soft"]["cross_entropy"] >= evaluation["kote-test"]["soft"]["target_entropy"]
    assert set(evaluation["hard-test"]["accuracy_per_form"]) <= set(HARD_FORMS)


def test_the_card_reads_with_per_kind_calibration(model):
    """Whatever the card says per kind, the serving runtime reads it (an old card: exponent 1)."""
    exponent = model.card.calibration_exponent("lyrics")
    assert exponent > 0
    probabilities = model.predict(["비가 와서 그런지 괜히 우울하네"])
    assert abs(float(model.card.calibrate(probabilities, "lyrics").sum()) - 1.0) < 1e-5


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("요즘 잠도 안 오고 모든 게 다 무너지는 느낌이야", "sadness"),
        ("내일 면접이라 너무 떨려", "tension"),
        ("아 진짜 짜증나 왜 맨날 나한테만 일 시켜", "anger"),
        ("합격했어!!! 대박 너무 신나 ㅋㅋㅋ", "joy"),
        ("따뜻한 차 한 잔 마시면서 쉬니까 마음이 편안하다", "peace"),
        ("내일 오후 3시에 회의 있음", "neutral"),
    ],
)
def test_plain_sentences_get_their_emotion(model, text, emotion):
    probabilities = model.predict([text])[0]
    assert EMOTIONS[int(probabilities.argmax())] == emotion, dict(zip(EMOTIONS, probabilities.round(3)))

"""The audio model's training and export, on a tiny synthetic catalog in the Kakao Arena layout."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from services.classifier.artifact import ArtifactError, AudioModelCard
from services.classifier.audio_model import AudioEmotionModel
from tests.support.tiny_audio import build_tiny_audio_artifact, synthetic_catalog
from training.audio.data import kakao_catalog, read_teacher, song_split
from training.audio.evaluate import hand_features, knn_same_label, tempo_bpm
from training.audio.train import distillation, nt_xent


@pytest.fixture(scope="module")
def tiny_audio(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-audio")
    return root, build_tiny_audio_artifact(root)


def test_nt_xent_rewards_matching_views():
    torch.manual_seed(0)
    z = torch.nn.functional.normalize(torch.randn(8, 512), dim=-1)
    other = torch.nn.functional.normalize(torch.randn(8, 512), dim=-1)
    assert nt_xent(z, z, 0.1) < nt_xent(z, other, 0.1)


def test_distillation_ignores_songs_without_lyrics():
    logits = torch.randn(4, 6)
    teacher = torch.softmax(torch.randn(4, 6), -1)
    none = torch.zeros(4, dtype=torch.bool)
    assert float(distillation(logits, teacher, none)) == 0.0
    some = torch.tensor([True, False, True, False])
    assert float(distillation(logits, teacher, some)) > 0.0


def test_catalog_reads_the_kakao_layout_and_skips_bad_files(tmp_path):
    data = synthetic_catalog(tmp_path, songs=12)
    np.save(data["mels"] / "0" / "5.npy", np.zeros((10, 100), np.float16))  # a corrupted file
    (data["mels"] / "0" / "6.npy").unlink()
    catalog = kakao_catalog(data["mels"], data["songs"], read_teacher(data["teacher"]))
    assert len(catalog.songs) == 10 and catalog.skipped == {"missing": 1, "bad_shape": 1}
    parts = catalog.split()
    assert sum(len(v) for v in parts.values()) == 10
    assert all(song_split(s.song_id) == name for name, songs in parts.items() for s in songs)


def test_hand_features_hear_the_tempo():
    frames_per_beat = 62.5 * 60 / 120  # 120 BPM
    mel = np.full((48, 1876), -60.0, np.float32)
    for beat in np.arange(0, 1876, frames_per_beat):
        mel[:, int(beat) : int(beat) + 3] = 0.0
    assert abs(tempo_bpm(mel) - 120) < 4
    assert hand_features(mel).shape == (7,)


def test_knn_counts_same_label_neighbours():
    gallery = np.eye(4)[[0, 0, 1, 1, 2, 2]] + 0.01
    assert knn_same_label(np.eye(4)[[0, 1]], np.array([0, 1]), gallery, np.array([0, 0, 1, 1, 2, 2]), k=2) == 1.0


@pytest.mark.slow
def test_tiny_model_trains_exports_and_serves(tiny_audio):
    _, artifact = tiny_audio
    card = AudioModelCard.read(artifact)
    assert card.embedding_dim == 512 and card.input["bands"] == 48 and card.input["frames"] == 1876
    assert "10*log10" in card.input["db_convention"]
    checks = card.evaluation["export"]
    assert checks["fp32_vs_torch_max_abs_diff"] < 1e-4
    assert card.quantization in ("int8-dynamic", "none")
    if card.quantization == "int8-dynamic":
        assert checks["int8_vs_fp32_top_label_agreement"] >= 0.98
    assert {"model", "majority", "hand_features_linear"} <= set(card.evaluation["test"])
    model = AudioEmotionModel(artifact)
    rng = np.random.default_rng(0)
    mels = [rng.normal(-40, 15, (48, t)).astype(np.float32) for t in (125, 1876, 1876, 400)]
    probabilities, embeddings = model.predict(mels)
    assert probabilities.shape == (4, 6) and np.allclose(probabilities.sum(1), 1, atol=1e-5)
    assert embeddings.shape == (4, 512) and np.allclose(np.linalg.norm(embeddings, axis=1), 1, atol=1e-4)
    # Batching does not change a song's answer (beyond int8's per-call activation scale).
    alone, _ = model.predict([mels[1]])
    assert np.allclose(alone[0], probabilities[1], atol=1e-3)


@pytest.mark.slow
def test_a_second_build_resumes_from_the_checkpoint(tiny_audio):
    root, artifact = tiny_audio
    (run_dir,) = (root / "work").glob("run-*")
    before = json.loads((run_dir / "history.json").read_text())["history"]
    build_tiny_audio_artifact(root, artifact)
    after = json.loads((run_dir / "history.json").read_text())["history"]
    assert after == before  # every epoch was done: nothing retrained


def test_a_text_card_is_not_an_audio_model(tiny_model_dir):
    with pytest.raises(ArtifactError, match="not an audio model card"):
        AudioModelCard.read(tiny_model_dir)

"""Figures for an audio artifact on a split, through the serving runtime (ONNX Runtime, no torch):

- macro-F1 (and the rest of training/evaluate.py's figures) against an evaluation label
  (the demo's intended emotion; the model never trains on it);
- agreement with the lyrics vector: mean cosine between audio and lyrics probabilities;
- frozen-embedding k-NN: share of a test song's 5 nearest train songs (cosine) with its label.
Baselines measured the same way: the majority class of the training teacher, and a linear head
(softmax regression on the same lyrics teacher) over hand-made features of the same mels:
tempo, spectral centroid and loudness (with their spread over time).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from services.classifier.audio_model import AudioEmotionModel
from services.common.audio.mel import HOP_SIZE, SAMPLE_RATE
from services.common.labels import NUM_EMOTIONS
from training.audio.data import Song, load_mel
from training.evaluate import evaluate

K = 5
FRAMES_PER_S = SAMPLE_RATE / HOP_SIZE


def tempo_bpm(mel: np.ndarray) -> float:
    """The strongest periodicity of the onset envelope between 50 and 200 BPM (autocorrelation)."""
    onset = np.maximum(np.diff(mel, axis=1), 0).sum(axis=0)
    onset = onset - onset.mean()
    ac = np.correlate(onset, onset, mode="full")[len(onset) - 1 :]
    lags = np.arange(len(ac))
    valid = (lags >= FRAMES_PER_S * 60 / 200) & (lags <= FRAMES_PER_S * 60 / 50)
    best = lags[valid][int(np.argmax(ac[valid]))]
    return float(60 * FRAMES_PER_S / best)


def hand_features(mel: np.ndarray) -> np.ndarray:
    """[tempo, onset rate, centroid mean/std, loudness mean/std/p95] of a (48, T) dB mel."""
    power = 10 ** (mel / 10)
    frame_power = power.sum(axis=0)
    loudness = 10 * np.log10(frame_power + 1e-12)
    centroid = (power * np.arange(mel.shape[0])[:, None]).sum(axis=0) / (frame_power + 1e-12)
    onset = np.maximum(np.diff(mel, axis=1), 0).sum(axis=0)
    return np.array([tempo_bpm(mel), onset.mean(), centroid.mean(), centroid.std(), loudness.mean(), loudness.std(),
                     np.percentile(loudness, 95)], dtype=np.float64)


def predict_served(model: AudioEmotionModel, songs: list[Song], batch: int = 16) -> tuple[np.ndarray, np.ndarray]:
    probs, embs = [], []
    for i in range(0, len(songs), batch):
        p, e = model.predict([load_mel(s.path) for s in songs[i : i + batch]])
        probs.append(p)
        embs.append(e)
    return np.concatenate(probs), np.concatenate(embs)


def knn_same_label(query: np.ndarray, query_labels: np.ndarray, gallery: np.ndarray, gallery_labels: np.ndarray,
                   k: int = K) -> float:
    """Mean share of each query's k nearest gallery items (cosine) that share its label."""
    q = query / np.linalg.norm(query, axis=1, keepdims=True)
    g = gallery / np.linalg.norm(gallery, axis=1, keepdims=True)
    nearest = np.argsort(-(q @ g.T), axis=1)[:, :k]
    return round(float((gallery_labels[nearest] == query_labels[:, None]).mean()), 4)


def cosine_agreement(probs: np.ndarray, teacher: np.ndarray) -> float:
    num = (probs * teacher).sum(1)
    return round(float((num / (np.linalg.norm(probs, axis=1) * np.linalg.norm(teacher, axis=1))).mean()), 4)


def fit_linear_head(x: np.ndarray, targets: np.ndarray, steps: int = 500, seed: int = 13) -> tuple:
    """Softmax regression on standardised features against soft targets (KL), full-batch L-BFGS."""
    torch.manual_seed(seed)
    mean, std = x.mean(0), x.std(0) + 1e-9
    xs = torch.tensor((x - mean) / std, dtype=torch.float32)
    t = torch.tensor(targets, dtype=torch.float32)
    layer = torch.nn.Linear(x.shape[1], NUM_EMOTIONS)
    optimizer = torch.optim.LBFGS(layer.parameters(), max_iter=steps)

    def closure():
        optimizer.zero_grad()
        loss = F.kl_div(F.log_softmax(layer(xs), -1), t, reduction="batchmean") + 1e-3 * layer.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()

    def predict(features: np.ndarray) -> np.ndarray:
        logits = ((features - mean) / std) @ weight.T + bias
        e = np.exp(logits - logits.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    return predict


def figures(model: AudioEmotionModel, train: list[Song], test: list[Song]) -> dict:
    """The model and its baselines on `test` (labels and teachers from the songs), k-NN against `train`."""
    test = [s for s in test if s.label is not None]
    train_l = [s for s in train if s.label is not None]
    labels = np.array([s.label for s in test])
    train_labels = np.array([s.label for s in train_l])
    taught = [i for i, s in enumerate(test) if s.teacher is not None]
    teacher = np.stack([test[i].teacher for i in taught]) if taught else None
    probs, emb = predict_served(model, test)
    _, train_emb = predict_served(model, train_l)
    result = {"model": {**evaluate(probs, labels), "knn_same_emotion_at_5": knn_same_label(emb, labels, train_emb, train_labels)}}
    if teacher is not None:
        result["model"]["lyrics_cosine"] = cosine_agreement(probs[taught], teacher)

    # Baselines from the same mels.
    train_t = [s for s in train if s.teacher is not None]
    majority = int(np.bincount([int(np.argmax(s.teacher)) for s in train_t], minlength=NUM_EMOTIONS).argmax())
    onehot = np.zeros((len(test), NUM_EMOTIONS))
    onehot[:, majority] = 1.0
    result["majority"] = evaluate(onehot, labels)
    feats_train = np.stack([hand_features(load_mel(s.path)) for s in train_t])
    feats_test = np.stack([hand_features(load_mel(s.path)) for s in test])
    head = fit_linear_head(feats_train, np.stack([s.teacher for s in train_t]))
    linear = head(feats_test)
    result["hand_features_linear"] = evaluate(linear, labels)
    feats_gallery = np.stack([hand_features(load_mel(s.path)) for s in train_l])
    mu, sd = feats_gallery.mean(0), feats_gallery.std(0) + 1e-9
    result["hand_features_linear"]["knn_same_emotion_at_5"] = knn_same_label(
        (feats_test - mu) / sd, labels, (feats_gallery - mu) / sd, train_labels)
    if teacher is not None:
        result["majority"]["lyrics_cosine"] = cosine_agreement(onehot[taught], teacher)
        result["hand_features_linear"]["lyrics_cosine"] = cosine_agreement(linear[taught], teacher)
    if teacher is not None:  # the teacher itself: how well the lyrics know the intended emotion
        result["lyrics_teacher"] = evaluate(teacher, labels[taught])
    return result

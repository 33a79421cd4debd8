"""A compact CNN over (batch, 48, T) dB mels: four conv blocks, global pooling over time and
frequency, then two heads: six emotion logits and a 512-d L2-normalised embedding.

Input dB values are standardised per band with the training set's mean and std (buffers in the
model, so the exported graph takes raw dB). Loudness is an emotion cue, so nothing normalises a
song to its own level. Any T >= 16 works (the pooling is global): train on crops, serve whole clips.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from services.classifier.artifact import EMBEDDING_DIM
from services.common.audio.mel import N_BANDS
from services.common.labels import NUM_EMOTIONS


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.MaxPool2d(2))


class MelCNN(nn.Module):
    def __init__(self, width: int = 16, embedding_dim: int = EMBEDDING_DIM, dropout: float = 0.2):
        super().__init__()
        self.width = width
        self.register_buffer("band_mean", torch.full((N_BANDS,), -40.0))
        self.register_buffer("band_std", torch.full((N_BANDS,), 20.0))
        chans = [1, width, width * 2, width * 4, width * 4]
        self.blocks = nn.Sequential(*[_block(a, b) for a, b in zip(chans[:-1], chans[1:])])
        features = chans[-1] * 2  # mean and max pooled
        self.dropout = nn.Dropout(dropout)
        self.emotion = nn.Linear(features, NUM_EMOTIONS)
        self.embed = nn.Sequential(nn.Linear(features, features), nn.ReLU(inplace=True), nn.Linear(features, embedding_dim))

    def features(self, mel: torch.Tensor) -> torch.Tensor:
        x = (mel - self.band_mean[None, :, None]) / self.band_std[None, :, None]
        x = self.blocks(x[:, None])  # [B, C, 3, T/16]
        x = x.flatten(2)
        return torch.cat([x.mean(-1), x.amax(-1)], dim=1)

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(emotion logits [B, 6], L2-normalised embedding [B, 512])."""
        h = self.features(mel)
        return self.emotion(self.dropout(h)), F.normalize(self.embed(h), dim=-1)

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


class ServingModel(nn.Module):
    """What the ONNX graph computes: probabilities (softmax) and the embedding."""

    def __init__(self, model: MelCNN):
        super().__init__()
        self.model = model

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits, embedding = self.model(mel)
        return torch.softmax(logits, dim=-1), embedding

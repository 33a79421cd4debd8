"""What a ClassifyAudio call computes, shared by the gRPC service and the in-process classifier.

Every item becomes a validated (48, T) dB mel (as given, or through the audio front end), the mels
run through the audio model (dynamic batching in the service), and each gets its six
probabilities, its 512-d embedding and the number of frames heard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.classifier.core import Classification, LimitError
from services.common.audio import MelError, audio_to_mel, validate_mel


@dataclass(frozen=True)
class AudioInput:
    """One song: a mel array ((48, T) dB) or encoded audio bytes with an optional format hint."""

    mel: np.ndarray | None = None
    audio: bytes | None = None
    format: str = ""


@dataclass(frozen=True)
class AudioClassification(Classification):
    embedding: tuple[float, ...] = ()
    frames: int = 0


@dataclass(frozen=True)
class AudioLimits:
    max_items: int = 64
    max_audio_bytes: int = 20 * 1024 * 1024
    max_frames: int = 18_760

    @classmethod
    def from_settings(cls, settings) -> "AudioLimits":
        return cls(settings.classifier_max_audio_items, settings.classifier_max_audio_bytes,
                   settings.classifier_max_mel_frames)

    def check(self, items: list[AudioInput]) -> None:
        if not items:
            raise LimitError("items is empty: send at least one mel or audio file")
        if len(items) > self.max_items:
            raise LimitError(f"{len(items)} items in one request; the limit is {self.max_items}")

    def mel_of(self, index: int, item: AudioInput) -> np.ndarray:
        """The item's validated mel; LimitError naming the index when it is not usable."""
        try:
            if item.mel is not None:
                return validate_mel(item.mel, max_frames=self.max_frames)
            if item.audio is not None:
                return audio_to_mel(item.audio, item.format, max_bytes=self.max_audio_bytes, max_frames=self.max_frames)
        except MelError as exc:
            raise LimitError(f"items[{index}]: {exc}") from exc
        raise LimitError(f"items[{index}] holds neither a mel nor audio")


def assemble_audio(probabilities: np.ndarray, embeddings: np.ndarray, mels: list[np.ndarray]) -> list[AudioClassification]:
    return [AudioClassification(tuple(float(p) for p in probs), embedding=tuple(float(v) for v in emb), frames=mel.shape[1])
            for probs, emb, mel in zip(probabilities, embeddings, mels)]

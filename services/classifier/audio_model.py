"""Runs an audio model artifact with ONNX Runtime (never torch): (48, T) dB mels -> emotion + embedding."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort

from services.classifier.artifact import AUDIO_INPUT, AUDIO_OUTPUTS, MODEL_FILE, ArtifactError, AudioModelCard
from services.classifier.model import choose_providers
from services.common.audio.mel import N_BANDS

log = logging.getLogger(__name__)


class AudioEmotionModel:
    """Thread-safe like EmotionModel. Mels of equal length run as one batch, others one call each."""

    def __init__(self, directory: Path, *, provider: str = "auto", intra_op_threads: int = 0,
                 inter_op_threads: int = 1):
        directory = Path(directory)
        self.card = AudioModelCard.read(directory)
        if int(self.card.input.get("bands", N_BANDS)) != N_BANDS:
            raise ArtifactError(f"{directory}: the model takes {self.card.input.get('bands')} bands; "
                                f"this front end makes {N_BANDS}")
        if not (directory / MODEL_FILE).is_file():
            raise ArtifactError(f"{directory / MODEL_FILE} is missing")
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = inter_op_threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(directory / MODEL_FILE), sess_options=options,
                                            providers=choose_providers(provider))
        self.provider = self.session.get_providers()[0]
        log.info("audio model loaded", extra={"model": self.card.name, "version": self.card.version,
                                              "provider": self.provider})

    def predict(self, mels: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """([N, 6] probabilities, [N, 512] embeddings) for validated (48, T_i) float32 mels."""
        probabilities = np.zeros((len(mels), len(self.card.labels)), dtype=np.float32)
        embeddings = np.zeros((len(mels), self.card.embedding_dim), dtype=np.float32)
        by_length: dict[int, list[int]] = {}
        for i, mel in enumerate(mels):
            by_length.setdefault(mel.shape[1], []).append(i)
        for rows in by_length.values():
            batch = np.stack([mels[i] for i in rows]).astype(np.float32, copy=False)
            probabilities[rows], embeddings[rows] = self.session.run(list(AUDIO_OUTPUTS), {AUDIO_INPUT: batch})
        return probabilities, embeddings


def load_audio_model(settings) -> AudioEmotionModel | None:
    """The audio model that MOODTUNE_AUDIO_MODEL_DIR names; None when it is set empty (a broken one raises)."""
    if settings.audio_model_dir is None:
        return None
    return AudioEmotionModel(settings.audio_model_dir, provider=settings.classifier_provider,
                             intra_op_threads=settings.classifier_intra_op_threads,
                             inter_op_threads=settings.classifier_inter_op_threads)

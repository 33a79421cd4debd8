"""ClassifyAudio messages <-> Python values (the service and the remote client share these)."""

from __future__ import annotations

import numpy as np

from moodtune.v1 import classifier_pb2
from services.classifier.audio_core import AudioInput
from services.classifier.core import LimitError


def mel_to_proto(mel: np.ndarray) -> classifier_pb2.MelFrames:
    mel = np.asarray(mel, dtype=np.float32)
    if mel.ndim != 2:
        raise LimitError(f"mel has shape {tuple(mel.shape)}; expected (48, T)")
    return classifier_pb2.MelFrames(bands=mel.shape[0], frames=mel.shape[1], values=mel.ravel().tolist())


def item_to_proto(item: AudioInput) -> classifier_pb2.AudioItem:
    if item.mel is not None:
        return classifier_pb2.AudioItem(mel=mel_to_proto(item.mel))
    return classifier_pb2.AudioItem(audio=classifier_pb2.EncodedAudio(data=item.audio or b"", format=item.format))


def items_from_proto(items) -> list[AudioInput]:
    result = []
    for index, item in enumerate(items):
        source = item.WhichOneof("source")
        if source == "mel":
            m = item.mel
            if m.bands <= 0 or m.frames <= 0 or len(m.values) != m.bands * m.frames:
                raise LimitError(f"items[{index}]: mel says {m.bands} bands x {m.frames} frames but holds "
                                 f"{len(m.values)} values")
            result.append(AudioInput(mel=np.asarray(m.values, dtype=np.float32).reshape(m.bands, m.frames)))
        elif source == "audio":
            result.append(AudioInput(audio=bytes(item.audio.data), format=item.audio.format))
        else:
            raise LimitError(f"items[{index}] holds neither a mel nor audio")
    return result


def evaluations_to_proto(evaluation: dict) -> list[classifier_pb2.Evaluation]:
    """The card's per-split figures that have the Evaluation shape (a macro-F1)."""
    out = []
    for split, figures in evaluation.items():
        if isinstance(figures, dict) and "model" in figures and isinstance(figures["model"], dict):
            figures = figures["model"]  # an audio card: the model's row of a split's table
        if not isinstance(figures, dict) or "macro_f1" not in figures:
            continue
        out.append(classifier_pb2.Evaluation(
            split=split, examples=int(figures.get("examples", 0)), macro_f1=float(figures.get("macro_f1", 0.0)),
            accuracy=float(figures.get("accuracy", 0.0)), ece=float(figures.get("ece", 0.0)),
            f1_per_class={k: float(v) for k, v in figures.get("f1_per_class", {}).items()}))
    return out


def audio_info_to_proto(model) -> classifier_pb2.AudioModelInfo:
    card = model.card
    contract = card.input
    return classifier_pb2.AudioModelInfo(
        name=card.name, version=card.version, labels=list(card.labels), embedding_dim=card.embedding_dim,
        bands=int(contract.get("bands", 0)), sample_rate=int(contract.get("sample_rate", 0)),
        hop_size=int(contract.get("hop_size", 0)), frames=int(contract.get("frames", 0)),
        min_frames=int(contract.get("min_frames", 0)), db_convention=str(contract.get("db_convention", "")),
        quantization=card.quantization, execution_provider=model.provider,
        evaluations=evaluations_to_proto(card.evaluation),
    )

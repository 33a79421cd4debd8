"""Two ways to classify with one interface: in-process (loads the model) or over gRPC.

Callers (the CLI, ingest, the recommender) pick with MOODTUNE_CLASSIFIER_ADDR:
unset loads the model in this process, an address calls the service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from moodtune.v1 import classifier_pb2, classifier_pb2_grpc
from services.classifier.audio_core import AudioClassification, AudioInput, assemble_audio
from services.classifier.core import Classification, Limits, TextKind, assemble, plan
from services.common.grpc_client import channel
from services.common.scores import scores_from_proto
from services.common.settings import ClassifierSettings, CommonSettings

_PROTO_KIND = {TextKind.UTTERANCE: classifier_pb2.TEXT_KIND_UTTERANCE, TextKind.LYRICS: classifier_pb2.TEXT_KIND_LYRICS}
SERVICE_NAME = classifier_pb2.DESCRIPTOR.services_by_name["EmotionClassifier"].full_name


class Classifier(Protocol):
    model_version: str
    audio_model_version: str  # "" until a classify_audio call has answered

    def classify(self, texts: list[str], kind: TextKind = TextKind.UTTERANCE) -> list[Classification]: ...

    def classify_audio(self, items: list[AudioInput]) -> list[AudioClassification]: ...

    def close(self) -> None: ...


class LocalClassifier:
    """Runs the model in this process, in batches of `max_batch` units."""

    def __init__(self, settings: ClassifierSettings | None = None):
        from services.classifier.model import EmotionModel  # onnxruntime only when used

        self.settings = settings or ClassifierSettings()
        self.model = EmotionModel(
            self.settings.model_dir,
            provider=self.settings.classifier_provider,
            intra_op_threads=self.settings.classifier_intra_op_threads,
            inter_op_threads=self.settings.classifier_inter_op_threads,
            micro_batch=self.settings.classifier_micro_batch,
        )
        self.model_version = self.model.card.version
        self.limits = Limits(
            self.settings.classifier_max_texts,
            self.settings.classifier_max_utterance_chars,
            self.settings.classifier_max_lyrics_chars,
        )
        self._audio_model = None
        self.audio_model_version = ""  # the audio model's version, known after the first classify_audio

    def classify(self, texts: list[str], kind: TextKind = TextKind.UTTERANCE) -> list[Classification]:
        self.limits.check(texts, kind)
        work = plan(texts, kind, self.model, self.settings.classifier_window_lines)
        size = self.settings.classifier_max_batch
        probabilities = np.concatenate(
            [self.model.predict(work.units[i : i + size]) for i in range(0, len(work.units), size)]
        )
        return assemble(work, probabilities)

    def classify_audio(self, items: list[AudioInput]) -> list[AudioClassification]:
        from services.classifier.audio_core import AudioLimits
        from services.classifier.audio_model import load_audio_model

        if self._audio_model is None:  # loaded on first use: text-only callers never pay for it
            self._audio_model = load_audio_model(self.settings)
            if self._audio_model is None:
                raise RuntimeError("no audio model: MOODTUNE_AUDIO_MODEL_DIR is empty")
        limits = AudioLimits.from_settings(self.settings)
        limits.check(items)
        mels = [limits.mel_of(i, item) for i, item in enumerate(items)]
        size = self.settings.classifier_max_audio_batch
        outputs = [self._audio_model.predict(mels[i : i + size]) for i in range(0, len(mels), size)]
        self.audio_model_version = self._audio_model.card.version
        return assemble_audio(np.concatenate([o[0] for o in outputs]), np.concatenate([o[1] for o in outputs]), mels)

    def close(self) -> None:
        pass


class RemoteClassifier:
    """Calls the EmotionClassifier service; every call has a deadline and UNAVAILABLE is retried."""

    def __init__(self, address: str, timeout_s: float = 10.0, max_message_bytes: int = 4 * 1024 * 1024,
                 tls_ca: Path | None = None):
        self.address = address
        self.timeout_s = timeout_s
        self.channel = channel(address, max_message_bytes, retry_service=SERVICE_NAME, tls_ca=tls_ca)
        self.stub = classifier_pb2_grpc.EmotionClassifierStub(self.channel)
        self._model_version = ""
        self.audio_model_version = ""  # from the last ClassifyAudio answer

    @property
    def model_version(self) -> str:
        if not self._model_version:
            self._model_version = self.model_info().version
        return self._model_version

    def model_info(self) -> classifier_pb2.ModelInfo:
        return self.stub.GetModelInfo(classifier_pb2.GetModelInfoRequest(), timeout=self.timeout_s)

    def classify(self, texts: list[str], kind: TextKind = TextKind.UTTERANCE) -> list[Classification]:
        response = self.stub.Classify(
            classifier_pb2.ClassifyRequest(texts=texts, kind=_PROTO_KIND[kind]), timeout=self.timeout_s
        )
        self._model_version = response.model_version
        return [
            Classification(scores_from_proto(r.scores), r.highlight, r.windows) for r in response.results
        ]

    def classify_audio(self, items: list[AudioInput]) -> list[AudioClassification]:
        from services.classifier.audio_proto import item_to_proto

        response = self.stub.ClassifyAudio(
            classifier_pb2.ClassifyAudioRequest(items=[item_to_proto(item) for item in items]), timeout=self.timeout_s
        )
        self.audio_model_version = response.model_version
        return [AudioClassification(scores_from_proto(r.scores), embedding=tuple(r.embedding), frames=r.frames)
                for r in response.results]

    def close(self) -> None:
        self.channel.close()


def connect(settings: CommonSettings | None = None, address: str | None = None) -> Classifier:
    """The classifier that the settings name: remote when an address is set, else in-process."""
    settings = settings or ClassifierSettings()
    address = address or settings.classifier_addr
    if address:
        return RemoteClassifier(address, max_message_bytes=settings.grpc_max_message_bytes,
                                tls_ca=settings.grpc_tls_ca)
    local_settings = settings if isinstance(settings, ClassifierSettings) else ClassifierSettings()
    return LocalClassifier(local_settings)


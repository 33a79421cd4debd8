"""The EmotionClassifier gRPC servicer: validation, planning, batched inference, response."""

from __future__ import annotations

import asyncio

import grpc
import numpy as np

from moodtune.v1 import classifier_pb2, classifier_pb2_grpc
from services.classifier.audio_core import AudioLimits, assemble_audio
from services.classifier.audio_model import AudioEmotionModel
from services.classifier.audio_proto import audio_info_to_proto, evaluations_to_proto, items_from_proto
from services.classifier.core import Limits, LimitError, TextKind, assemble, plan
from services.classifier.model import EmotionModel
from services.common.batching import DynamicBatcher
from services.common.scores import scores_to_proto

_KINDS = {
    classifier_pb2.TEXT_KIND_UNSPECIFIED: TextKind.UTTERANCE,
    classifier_pb2.TEXT_KIND_UTTERANCE: TextKind.UTTERANCE,
    classifier_pb2.TEXT_KIND_LYRICS: TextKind.LYRICS,
}


class EmotionClassifierServicer(classifier_pb2_grpc.EmotionClassifierServicer):
    """Answers UNAVAILABLE until `attach` hands it a loaded model (health says NOT_SERVING meanwhile)."""

    def __init__(self, limits: Limits, window_lines: int, audio_limits: AudioLimits | None = None):
        self.model: EmotionModel | None = None
        self.batcher: DynamicBatcher | None = None
        self.limits = limits
        self.window_lines = window_lines
        self.audio_limits = audio_limits or AudioLimits()
        self.audio_model: AudioEmotionModel | None = None
        self.audio_batcher: DynamicBatcher | None = None

    def attach(self, model: EmotionModel, batcher: DynamicBatcher, audio_model: AudioEmotionModel | None = None,
               audio_batcher: DynamicBatcher | None = None) -> None:
        self.model, self.batcher = model, batcher
        self.audio_model, self.audio_batcher = audio_model, audio_batcher

    async def _require_model(self, context) -> EmotionModel:
        if self.model is None:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the model is still loading; retry shortly")
        return self.model

    async def Classify(self, request, context: grpc.aio.ServicerContext):
        model = await self._require_model(context)
        kind = _KINDS.get(request.kind)
        if kind is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown kind {request.kind}")
        texts = list(request.texts)
        try:
            self.limits.check(texts, kind)
        except LimitError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        work = plan(texts, kind, model, self.window_lines)
        results = assemble(work, np.stack(await self.batcher.run(work.units)))
        return classifier_pb2.ClassifyResponse(
            results=[
                classifier_pb2.ClassifyResult(
                    scores=scores_to_proto(r.probabilities), highlight=r.highlight, windows=r.windows
                )
                for r in results
            ],
            model_version=model.card.version,
        )

    async def ClassifyAudio(self, request, context: grpc.aio.ServicerContext):
        await self._require_model(context)
        if self.audio_model is None:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                "this classifier has no audio model (MOODTUNE_AUDIO_MODEL_DIR)")
        try:
            items = items_from_proto(request.items)
            self.audio_limits.check(items)
            # Decoding audio is CPU work: off the event loop, one item after another.
            mels = await asyncio.to_thread(lambda: [self.audio_limits.mel_of(i, item) for i, item in enumerate(items)])
        except LimitError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        outputs = await self.audio_batcher.run(mels)
        results = assemble_audio(np.stack([o[0] for o in outputs]), np.stack([o[1] for o in outputs]), mels)
        return classifier_pb2.ClassifyAudioResponse(
            results=[classifier_pb2.AudioResult(scores=scores_to_proto(r.probabilities), embedding=list(r.embedding),
                                                frames=r.frames) for r in results],
            model_version=self.audio_model.card.version,
        )

    async def GetModelInfo(self, request, context):
        model = await self._require_model(context)
        card = model.card
        return classifier_pb2.ModelInfo(
            name=card.name,
            version=card.version,
            labels=list(card.labels),
            max_length=card.max_length,
            backbone=card.backbone,
            input_prefix=card.input_prefix,
            execution_provider=model.provider,
            evaluations=evaluations_to_proto(card.evaluation),
            audio=audio_info_to_proto(self.audio_model) if self.audio_model is not None else None,
        )

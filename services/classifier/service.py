"""The EmotionClassifier gRPC servicer: validation, planning, batched inference, response."""

from __future__ import annotations

import grpc
import numpy as np

from moodtune.v1 import classifier_pb2, classifier_pb2_grpc
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

    def __init__(self, limits: Limits, window_lines: int):
        self.model: EmotionModel | None = None
        self.batcher: DynamicBatcher | None = None
        self.limits = limits
        self.window_lines = window_lines

    def attach(self, model: EmotionModel, batcher: DynamicBatcher) -> None:
        self.model, self.batcher = model, batcher

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
            evaluations=[
                classifier_pb2.Evaluation(
                    split=split,
                    examples=int(figures.get("examples", 0)),
                    macro_f1=float(figures.get("macro_f1", 0.0)),
                    accuracy=float(figures.get("accuracy", 0.0)),
                    ece=float(figures.get("ece", 0.0)),
                    f1_per_class={k: float(v) for k, v in figures.get("f1_per_class", {}).items()},
                )
                for split, figures in card.evaluation.items()
            ],
        )

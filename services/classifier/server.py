"""`moodtune serve classifier`: load the model, warm it up, serve EmotionClassifier over gRPC."""

from __future__ import annotations

import asyncio
import logging

import numpy as np

from moodtune.v1 import classifier_pb2, classifier_pb2_grpc
from services.classifier.audio_core import AudioLimits
from services.classifier.audio_model import AudioEmotionModel, load_audio_model
from services.classifier.core import Limits
from services.classifier.model import EmotionModel
from services.classifier.service import EmotionClassifierServicer
from services.common import metrics
from services.common.batching import BatchObserver, DynamicBatcher
from services.common.grpc_server import Service, serve, tls_paths
from services.common.settings import ClassifierSettings

log = logging.getLogger(__name__)

# A few sentences of different lengths, so the first real call meets warm kernels.
WARM_UP_TEXTS = ["안녕", "오늘 하루 어땠어?", "내일 발표가 있는데 준비를 하나도 못 해서 너무 걱정돼"]
WARM_UP_MEL = np.full((48, 1876), -40.0, dtype=np.float32)


def _audio_batch(model: AudioEmotionModel):
    def run(mels: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        probabilities, embeddings = model.predict(mels)
        return list(zip(probabilities, embeddings))

    return run


def build_service(settings: ClassifierSettings) -> Service:
    servicer = EmotionClassifierServicer(
        Limits(
            settings.classifier_max_texts,
            settings.classifier_max_utterance_chars,
            settings.classifier_max_lyrics_chars,
        ),
        settings.classifier_window_lines,
        AudioLimits.from_settings(settings),
    )

    batchers: list[DynamicBatcher] = []

    async def warm_up() -> None:
        # Loading takes a second or more: the server already answers health checks meanwhile.
        model = await asyncio.to_thread(
            EmotionModel,
            settings.model_dir,
            provider=settings.classifier_provider,
            intra_op_threads=settings.classifier_intra_op_threads,
            inter_op_threads=settings.classifier_inter_op_threads,
            micro_batch=settings.classifier_micro_batch,
        )
        batcher = DynamicBatcher(
            model.predict,
            settings.classifier_max_batch,
            settings.classifier_max_delay_ms / 1000,
            BatchObserver(metrics.BATCH_SIZE.observe, metrics.QUEUE_SECONDS.observe, metrics.BATCH_SECONDS.observe),
            name="inference",
        )
        batcher.start()
        batchers.append(batcher)
        await batcher.run(WARM_UP_TEXTS)
        audio_model = await asyncio.to_thread(load_audio_model, settings)
        audio_batcher = None
        if audio_model is not None:
            audio_batcher = DynamicBatcher(
                _audio_batch(audio_model), settings.classifier_max_audio_batch, settings.classifier_max_delay_ms / 1000,
                BatchObserver(metrics.AUDIO_BATCH_SIZE.observe, metrics.AUDIO_QUEUE_SECONDS.observe,
                              metrics.AUDIO_BATCH_SECONDS.observe),
                name="audio-inference",
            )
            audio_batcher.start()
            batchers.append(audio_batcher)
            await audio_batcher.run([WARM_UP_MEL])
        servicer.attach(model, batcher, audio_model, audio_batcher)
        log.info("warmed up", extra={"provider": model.provider,
                                     "audio_model": audio_model.card.version if audio_model else None})

    async def close() -> None:
        for batcher in batchers:
            await batcher.stop()

    return Service(
        name="classifier",
        register=lambda server: classifier_pb2_grpc.add_EmotionClassifierServicer_to_server(servicer, server),
        full_names=[classifier_pb2.DESCRIPTOR.services_by_name["EmotionClassifier"].full_name],
        warm_up=warm_up,
        close=close,
    )


def run(settings: ClassifierSettings) -> None:
    service = build_service(settings)
    asyncio.run(
        serve(
            service,
            settings.classifier_listen,
            max_message_bytes=settings.grpc_max_message_bytes,
            grace_seconds=settings.grpc_grace_seconds,
            metrics_port=settings.classifier_metrics_port,
            tls=tls_paths(settings),
        )
    )

"""`moodtune serve recommender`: connect classifier, Qdrant and Redis, then serve Recommender over gRPC."""

from __future__ import annotations

import asyncio
import logging

from moodtune.v1 import recommender_pb2, recommender_pb2_grpc
from services.classifier.client import connect as connect_classifier
from services.common import catalog
from services.common.grpc_server import Service, serve, tls_paths
from services.common.settings import ClassifierSettings, RecommenderSettings
from services.common.speech import audio_message_bytes
from services.recommender.cache import Cache
from services.recommender.engine import ClassifierUnavailable, Recommender
from services.recommender.service import RecommenderServicer
from services.speech.client import connect as connect_speech

log = logging.getLogger(__name__)


def build_engine(settings: RecommenderSettings) -> Recommender:
    classifier_settings = ClassifierSettings(**settings.model_dump(include=set(ClassifierSettings.model_fields)))
    classifier = connect_classifier(classifier_settings)
    if hasattr(classifier, "timeout_s"):
        classifier.timeout_s = settings.recommender_classifier_timeout_s
    store = catalog.connect(settings)
    store.ensure_schema(shards=settings.qdrant_shards, replication_factor=settings.qdrant_replication_factor)
    cache = Cache(settings.redis_url, pool_ttl_s=settings.recommender_pool_ttl_s,
                  recent_size=settings.recommender_recent_size, password=settings.redis_password)
    return Recommender(classifier, store, cache, pool_size=settings.recommender_pool_size,
                       taste_weight=settings.recommender_taste_weight)


def build_service(settings: RecommenderSettings) -> Service:
    engines: list[Recommender] = []
    servicer = RecommenderServicer()

    async def warm_up() -> None:
        engine = await asyncio.to_thread(build_engine, settings)
        # A first classification loads the model (in-process) or checks that the classifier answers;
        # a classifier that is still starting gets a minute.
        for attempt in range(60):
            try:
                await asyncio.to_thread(engine.classify, "안녕")
                break
            except ClassifierUnavailable as exc:
                if attempt == 59:
                    raise
                log.warning("waiting for the classifier: %s", exc)
                await asyncio.sleep(1.0)
        servicer.speech = connect_speech(settings, timeout_s=settings.recommender_speech_timeout_s)
        servicer.engine = engine
        engines.append(engine)
        log.info("recommender ready", extra={"catalog_songs": engine.catalog.count(),
                                            "model_version": engine.classifier.model_version})

    async def close() -> None:
        if servicer.speech is not None:
            servicer.speech.close()
        for engine in engines:
            engine.classifier.close()
            engine.catalog.close()

    return Service(
        name="recommender",
        register=lambda server: recommender_pb2_grpc.add_RecommenderServicer_to_server(servicer, server),
        full_names=[recommender_pb2.DESCRIPTOR.services_by_name["Recommender"].full_name],
        warm_up=warm_up,
        close=close,
    )


def run(settings: RecommenderSettings) -> None:
    asyncio.run(serve(build_service(settings), settings.recommender_listen,
                      max_message_bytes=audio_message_bytes(settings), grace_seconds=settings.grpc_grace_seconds,
                      metrics_port=settings.recommender_metrics_port, tls=tls_paths(settings)))

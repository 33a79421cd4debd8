"""Prometheus metrics shared by the gRPC services, served on each service's metrics port."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

# Buckets from 0.5 ms to 10 s: a cached answer takes about a millisecond, a cold
# lyric batch seconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

GRPC_REQUESTS = Counter(
    "moodtune_grpc_requests_total", "gRPC calls handled", ["service", "method", "code"]
)
GRPC_ERRORS = Counter(
    "moodtune_grpc_errors_total", "gRPC calls that ended with a status other than OK",
    ["service", "method", "code"],
)
GRPC_LATENCY = Histogram(
    "moodtune_grpc_request_seconds", "gRPC call latency", ["service", "method"],
    buckets=LATENCY_BUCKETS,
)
BATCH_SIZE = Histogram(
    "moodtune_classifier_batch_size", "texts per inference call (dynamic batching)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
BATCH_SECONDS = Histogram(
    "moodtune_classifier_inference_seconds", "time of one batched inference call",
    buckets=LATENCY_BUCKETS,
)
QUEUE_SECONDS = Histogram(
    "moodtune_classifier_queue_seconds", "time a text waited before its batch ran",
    buckets=LATENCY_BUCKETS,
)
AUDIO_BATCH_SIZE = Histogram(
    "moodtune_classifier_audio_batch_size", "songs per audio inference call (dynamic batching)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
AUDIO_BATCH_SECONDS = Histogram(
    "moodtune_classifier_audio_inference_seconds", "time of one batched audio inference call",
    buckets=LATENCY_BUCKETS,
)
AUDIO_QUEUE_SECONDS = Histogram(
    "moodtune_classifier_audio_queue_seconds", "time a song waited before its audio batch ran",
    buckets=LATENCY_BUCKETS,
)


def start_metrics_server(port: int, host: str = "0.0.0.0") -> None:
    """Serves /metrics on the port; port 0 turns metrics off."""
    if port:
        start_http_server(port, addr=host)

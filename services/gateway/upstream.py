"""The gateway's gRPC client for the Recommender, and how its errors become HTTP statuses."""

from __future__ import annotations

from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from moodtune.v1 import recommender_pb2, recommender_pb2_grpc
from services.common import speech
from services.common.grpc_client import aio_channel

# gRPC status -> (HTTP status, error code in the JSON body)
HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: (422, "invalid_request"),
    grpc.StatusCode.NOT_FOUND: (404, "not_found"),
    grpc.StatusCode.FAILED_PRECONDITION: (409, "failed_precondition"),  # e.g. SimilarSongs for a song without sound
    grpc.StatusCode.DEADLINE_EXCEEDED: (504, "upstream_timeout"),
    grpc.StatusCode.UNAVAILABLE: (503, "unavailable"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "too_many_requests"),
}
# A refused recording (services.common.speech reasons) -> (HTTP status, error code)
SPEECH_STATUS = {
    speech.TOO_LARGE: (413, "audio_too_large"),
    speech.UNSUPPORTED: (415, "unsupported_audio"),
    speech.NO_SPEECH: (422, "no_speech"),
}
SERVICE = recommender_pb2.DESCRIPTOR.services_by_name["Recommender"].full_name


class Upstream:
    def __init__(self, address: str, timeout_s: float, max_message_bytes: int, tls_ca: Path | None = None):
        self.timeout_s = timeout_s
        self.channel = aio_channel(address, max_message_bytes, SERVICE, tls_ca)
        self.stub = recommender_pb2_grpc.RecommenderStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)

    async def ready(self) -> bool:
        try:
            response = await self.health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=1.0)
        except grpc.RpcError:
            return False
        return response.status == health_pb2.HealthCheckResponse.SERVING

    async def close(self) -> None:
        await self.channel.close()

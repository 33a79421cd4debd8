"""Client channels with the same message bounds as the servers, and retries for idempotent calls."""

from __future__ import annotations

import json

import grpc

from services.common.grpc_server import channel_options


def retry_service_config(service: str, attempts: int = 4) -> str:
    """gRPC's own retry policy: UNAVAILABLE is retried with exponential backoff (0.1 s, 0.2 s, ...)."""
    return json.dumps(
        {
            "methodConfig": [
                {
                    "name": [{"service": service}],
                    "retryPolicy": {
                        "maxAttempts": attempts,
                        "initialBackoff": "0.1s",
                        "maxBackoff": "2s",
                        "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            ]
        }
    )


def client_options(max_message_bytes: int, retry_service: str | None = None) -> list[tuple[str, object]]:
    options: list[tuple[str, object]] = list(channel_options(max_message_bytes))
    if retry_service:
        options += [("grpc.enable_retries", 1), ("grpc.service_config", retry_service_config(retry_service))]
    return options


def insecure_channel(address: str, max_message_bytes: int, retry_service: str | None = None) -> grpc.Channel:
    return grpc.insecure_channel(address, options=client_options(max_message_bytes, retry_service))

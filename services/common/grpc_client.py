"""Client channels with the same message bounds as the servers, and retries for idempotent calls."""

from __future__ import annotations

import json
from pathlib import Path

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


def _credentials(tls_ca: Path | None) -> grpc.ChannelCredentials | None:
    return grpc.ssl_channel_credentials(root_certificates=Path(tls_ca).read_bytes()) if tls_ca else None


def channel(address: str, max_message_bytes: int, retry_service: str | None = None,
            tls_ca: Path | None = None) -> grpc.Channel:
    """A blocking channel; TLS (trusting `tls_ca`) when a CA is given, plaintext otherwise."""
    options = client_options(max_message_bytes, retry_service)
    credentials = _credentials(tls_ca)
    if credentials is not None:
        return grpc.secure_channel(address, credentials, options=options)
    return grpc.insecure_channel(address, options=options)


def aio_channel(address: str, max_message_bytes: int, retry_service: str | None = None,
                tls_ca: Path | None = None) -> grpc.aio.Channel:
    """The asyncio twin of `channel`, for the gateway."""
    options = client_options(max_message_bytes, retry_service)
    credentials = _credentials(tls_ca)
    if credentials is not None:
        return grpc.aio.secure_channel(address, credentials, options=options)
    return grpc.aio.insecure_channel(address, options=options)

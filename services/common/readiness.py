"""Waiting for a service to be ready: gRPC health SERVING, or an HTTP URL answering 200.

    python -m services.common.readiness grpc 127.0.0.1:50051 [--timeout 120]
    python -m services.common.readiness http http://127.0.0.1:8080/readyz
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def grpc_status(address: str, service: str = "", timeout: float = 1.0, tls_ca: Path | None = None) -> str:
    """SERVING, NOT_SERVING, or the gRPC error code's name (UNAVAILABLE when nothing listens).

    TLS when a CA is given, or MOODTUNE_GRPC_TLS_CA is set: the check speaks like every other client.
    """
    from services.common.grpc_client import channel as make_channel
    from services.common.settings import CommonSettings

    with make_channel(address, 4 * 1024 * 1024, tls_ca=tls_ca or CommonSettings().grpc_tls_ca) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as error:
            return error.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["grpc", "http"])
    parser.add_argument("target")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    check = (lambda: grpc_status(args.target) == "SERVING") if args.kind == "grpc" else (lambda: http_ok(args.target))
    return 0 if wait(check, args.timeout) else 1


if __name__ == "__main__":
    sys.exit(main())

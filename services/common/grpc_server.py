"""The gRPC bootstrap every moodtune service uses.

It gives each service the same behaviour: standard health checking that says
NOT_SERVING until the service has warmed up, server reflection, bounded message
sizes, a request id per call (metadata "x-request-id", generated when absent and
sent back), Prometheus metrics per call, and a graceful stop on SIGTERM/SIGINT:
health flips to NOT_SERVING first, new calls are refused, in-flight calls get
`grace` seconds to finish.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.common import logs, metrics

log = logging.getLogger(__name__)

REQUEST_ID_KEY = "x-request-id"


def channel_options(max_message_bytes: int) -> list[tuple[str, int]]:
    """Message size bounds, the same for servers and clients."""
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]


# Servers close each connection after 5 minutes (in-flight calls get 30 s more), so clients reconnect
# and spread over replicas that an autoscaler added since: gRPC keeps one connection per channel.
SERVER_OPTIONS = [("grpc.max_connection_age_ms", 300_000), ("grpc.max_connection_age_grace_ms", 30_000)]


class ObservabilityInterceptor(grpc.aio.ServerInterceptor):
    """Request id, metrics and a safety net for unary calls.

    An unexpected exception becomes INTERNAL with a short message (the traceback
    goes to the log, never to the caller).
    """

    def __init__(self, service: str):
        self.service = service

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = handler_call_details.method.rsplit("/", 1)[-1]
        incoming = dict(handler_call_details.invocation_metadata or ())
        inner = handler.unary_unary

        async def observed(request, context: grpc.aio.ServicerContext):
            rid = str(incoming.get(REQUEST_ID_KEY) or uuid.uuid4().hex)[:64]
            token = logs.request_id.set(rid)
            await context.send_initial_metadata(((REQUEST_ID_KEY, rid),))
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            try:
                return await inner(request, context)
            except asyncio.CancelledError:
                code = grpc.StatusCode.CANCELLED
                raise
            except Exception:
                code = context.code() or grpc.StatusCode.UNKNOWN
                if code in (grpc.StatusCode.OK, grpc.StatusCode.UNKNOWN):
                    # Not an abort() of the servicer's own: a bug.
                    log.exception("unhandled error in %s", method)
                    code = grpc.StatusCode.INTERNAL
                    await context.abort(code, f"internal error (request id {rid})")
                raise
            finally:
                code = _final_code(context, code)
                metrics.GRPC_LATENCY.labels(self.service, method).observe(time.perf_counter() - started)
                metrics.GRPC_REQUESTS.labels(self.service, method, code.name).inc()
                if code != grpc.StatusCode.OK:
                    metrics.GRPC_ERRORS.labels(self.service, method, code.name).inc()
                logs.request_id.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            observed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _final_code(context: grpc.aio.ServicerContext, fallback: grpc.StatusCode) -> grpc.StatusCode:
    code = context.code()
    if code is None:
        return fallback
    if isinstance(code, int):  # some grpc versions report the raw number
        return next((c for c in grpc.StatusCode if c.value[0] == code), fallback)
    return code


def tls_paths(settings) -> tuple[Path, Path] | None:
    """(certificate, key) when the settings turn TLS on."""
    if settings.grpc_tls_cert and settings.grpc_tls_key:
        return settings.grpc_tls_cert, settings.grpc_tls_key
    return None


@dataclass
class Service:
    """What a service hands to `serve`."""

    name: str  # short name for metrics and logs, e.g. "classifier"
    register: Callable[[grpc.aio.Server], None]  # adds the servicers
    full_names: Iterable[str]  # fully-qualified service names, for health and reflection
    warm_up: Callable[[], Awaitable[None]]  # runs before health says SERVING
    close: Callable[[], Awaitable[None]] | None = None  # runs after the server stopped


async def serve(
    service: Service,
    listen: str,
    *,
    max_message_bytes: int,
    grace_seconds: float,
    metrics_port: int = 0,
    tls: tuple[Path, Path] | None = None,
    ready_event: asyncio.Event | None = None,
    stop_event: asyncio.Event | None = None,
) -> None:
    """Runs the service until SIGTERM/SIGINT (or `stop_event`), then stops gracefully."""
    server = grpc.aio.server(
        interceptors=[ObservabilityInterceptor(service.name)],
        options=channel_options(max_message_bytes) + SERVER_OPTIONS,
    )
    service.register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = list(service.full_names)
    reflection.enable_server_reflection(
        [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
        server,
    )

    async def set_all(status) -> None:
        for name in ["", *names]:  # "" is the whole server
            await health_servicer.set(name, status)

    await set_all(health_pb2.HealthCheckResponse.NOT_SERVING)
    if tls is not None:  # (certificate, key): clients must connect with TLS
        cert, key = (Path(p).read_bytes() for p in tls)
        port = server.add_secure_port(listen, grpc.ssl_server_credentials([(key, cert)]))
    else:
        port = server.add_insecure_port(listen)
    if port == 0:
        raise RuntimeError(f"could not bind {listen}")
    await server.start()
    metrics.start_metrics_server(metrics_port)
    log.info("listening", extra={"service": service.name, "listen": listen, "tls": tls is not None,
                                 "metrics_port": metrics_port})

    stop = stop_event or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests)
            pass

    await service.warm_up()
    await set_all(health_pb2.HealthCheckResponse.SERVING)
    log.info("serving", extra={"service": service.name, "listen": listen})
    if ready_event is not None:
        ready_event.set()

    await stop.wait()
    log.info("stopping: health NOT_SERVING, finishing in-flight calls", extra={"grace_s": grace_seconds})
    await set_all(health_pb2.HealthCheckResponse.NOT_SERVING)
    await server.stop(grace_seconds)
    if service.close is not None:
        await service.close()
    log.info("stopped", extra={"service": service.name})

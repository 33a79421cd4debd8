"""ASGI middleware that protects the gateway: body size limit, per-client rate limit, security headers."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict


def client_key(scope, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                return value.decode("latin-1").split(",")[0].strip()
    client = scope.get("client")
    return client[0] if client else "unknown"


async def send_json(send, status: int, code: str, message: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """413 for bodies over the limit: by Content-Length up front, or counted while streaming.

    The body is read here (it is small: the limit is kilobytes) and replayed to the app, so an
    oversized chunked body is refused before the app parses any of it. `per_path` gives single
    routes their own limit (the speech route takes recordings of megabytes).
    """

    def __init__(self, app, max_bytes: int, per_path: dict[str, int] | None = None):
        self.app, self.max_bytes, self.per_path = app, max_bytes, per_path or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        max_bytes = self.per_path.get(scope["path"], self.max_bytes)
        too_large = f"request body over {max_bytes} bytes"
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            return await send_json(send, 413, "body_too_large", too_large)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            if len(body) > max_bytes:
                return await send_json(send, 413, "body_too_large", too_large)
            more = message.get("more_body", False)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class RateLimit:
    """A token bucket per client for paths under /v1/: `per_minute` sustained, `burst` at once."""

    def __init__(self, app, per_minute: float, burst: int, trust_forwarded_for: bool = False,
                 max_clients: int = 100_000):
        self.app = app
        self.rate = per_minute / 60.0
        self.burst = burst
        self.trust = trust_forwarded_for
        self.max_clients = max_clients
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, time)
        self.lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when allowed, else the seconds until a token is free."""
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.pop(client, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self.buckets[client] = (tokens - 1 if tokens >= 1 else tokens, now)
            while len(self.buckets) > self.max_clients:  # bounded memory: forget the idlest clients
                self.buckets.popitem(last=False)
        return wait

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            wait = self.take(client_key(scope, self.trust))
            if wait:
                seconds = str(max(1, math.ceil(wait))).encode()
                return await send_json(send, 429, "too_many_requests",
                                       f"too many requests; retry in {seconds.decode()} s",
                                       [(b"retry-after", seconds)])
        await self.app(scope, receive, send)


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(self), geolocation=()"),  # the page's 말로 하기 button
    (b"cross-origin-opener-policy", b"same-origin"),
]
# The page loads nothing from elsewhere; the API docs need inline script from their own bundle.
PAGE_CSP = (b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            b"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
DOCS_CSP = (b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            b"img-src 'self' data:; object-src 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = DOCS_CSP if scope["path"].startswith(("/docs", "/redoc", "/static-offline-docs")) else PAGE_CSP

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS,
                                      (b"content-security-policy", csp)]
            await send(message)

        await self.app(scope, receive, with_headers)

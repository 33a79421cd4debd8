"""A real redis-server (Debian's package) on a free loopback port, for the tests."""

from __future__ import annotations

import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.support.processes import free_port


@contextmanager
def redis_server(workdir: Path, *, appendonly: bool = False):
    """Yields (url, process); the server is killed at the end. `appendonly` keeps an AOF in workdir."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: `make setup-dev` installs Debian's redis-server")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir),
         "--appendonly", "yes" if appendonly else "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on port {port}")
                time.sleep(0.05)
        yield url, process
    finally:
        process.kill()
        process.wait()

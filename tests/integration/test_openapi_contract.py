"""The gateway's OpenAPI document says exactly what the API does: Schemathesis runs every check
(`--checks all`) against a real gateway process in front of real services, and must find nothing.

The rate limit is raised for this gateway (Schemathesis sends hundreds of requests); everything else
is the default configuration.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import demo_recommender, gateway_process

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
SUPPORT = Path(__file__).resolve().parents[1] / "support"
CONFIG, HOOKS = SUPPORT / "schemathesis.toml", SUPPORT / "schemathesis_hooks.py"


@pytest.fixture(scope="module")
def contract_gateway(demo_catalog, shipped_classifier, shipped_speech, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("contract")
    with demo_recommender(demo_catalog, shipped_classifier.address, tmp,
                          MOODTUNE_SPEECH_ADDR=shipped_speech.address) as (service, _), \
            gateway_process(service.address, tmp, MOODTUNE_GATEWAY_RATE_PER_MINUTE=1_000_000,
                            MOODTUNE_GATEWAY_RATE_BURST=1_000_000) as url:
        yield url, tmp


@pytest.mark.slow
def test_schemathesis_all_checks_find_no_failure(contract_gateway):
    url, tmp = contract_gateway
    run = subprocess.run(
        [SCHEMATHESIS, "--config-file", str(CONFIG), "run", f"{url}/openapi.json", "--checks", "all", "--phases", "examples,coverage,fuzzing",
         "--max-examples", "40", "--seed", "15", "--workers", "1", "--request-timeout", "60",
         "--generation-database", "none", "--no-color", "--report", "junit", "--report-dir", str(tmp / "report")],
        capture_output=True, text=True, timeout=900, env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)})
    (tmp / "schemathesis.txt").write_text(run.stdout + run.stderr)
    assert run.returncode == 0, f"{tmp / 'schemathesis.txt'}:\n" + run.stdout[-12000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout or "passed" in run.stdout, run.stdout[-3000:]

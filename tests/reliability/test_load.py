"""The short form of `make load`: mixed traffic through the gateway and gRPC, memory bounded."""

from __future__ import annotations

import asyncio
import json

from bench.load import run_load
from tests.support.processes import ROOT, demo_recommender, gateway_process


def test_mixed_load_has_no_errors_and_bounded_memory(demo_catalog, shipped_classifier, tmp_path):
    with demo_recommender(demo_catalog, shipped_classifier.address, tmp_path) as (service, redis_process), \
            gateway_process(service.address, tmp_path, MOODTUNE_GATEWAY_RATE_PER_MINUTE=10**7,
                            MOODTUNE_GATEWAY_RATE_BURST=10**6) as gateway:
        pids = {"gateway": gateway.pid, "recommender": service.process.pid,
                "classifier": shipped_classifier.process.pid, "redis": redis_process.pid}
        asyncio.run(run_load(gateway, service.address, 100, 16, pids, seed=1))  # warm up
        result = asyncio.run(run_load(gateway, service.address, 400, 16, pids, max_seconds=240, seed=2))
    print("\nload (short form):", json.dumps(result, ensure_ascii=False))
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "load-short.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    assert result["requests"] == 400 and result["errors"] == 0
    for name, before in result["rss_mb_before"].items():
        assert result["rss_mb_after"][name] - before < 60, (name, before, result["rss_mb_after"][name])

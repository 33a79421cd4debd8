"""The stack under faults, with real processes on loopback: nothing fails that should not, nothing
is lost, and everything recovers by itself. Figures go to docs/reliability.md."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from moodtune.v1 import recommender_pb2, recommender_pb2_grpc
from services.common import catalog
from services.common.settings import DEFAULT_MODEL_DIR, CommonSettings
from tests.support.processes import (
    classifier_service, demo_recommender, free_port, gateway_process, recommender_service, stop,
)

MOODTUNE = str(Path(sys.executable).parent / "moodtune")


def recommend(stub, text: str, timeout: float = 30, **fields):
    return stub.Recommend(recommender_pb2.RecommendRequest(text=text, **fields), timeout=timeout)


def proc_status(pid: int) -> dict[str, int]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {"threads": int(fields["Threads"]), "rss_kb": int(fields["VmRSS"].split()[0])}


def test_classifier_killed_and_restarted(demo_catalog, tmp_path):
    port = free_port()
    with classifier_service(DEFAULT_MODEL_DIR, tmp_path, port=port) as classifier, \
            demo_recommender(demo_catalog, classifier.address, tmp_path / "rec") as (service, _), \
            gateway_process(service.address, tmp_path) as url:
        channel = grpc.insecure_channel(service.address)
        stub = recommender_pb2_grpc.RecommenderStub(channel)
        assert len(recommend(stub, "오늘 너무 행복해").songs) == 5
        classifier.process.kill()
        classifier.process.wait()
        with pytest.raises(grpc.RpcError) as error:
            recommend(stub, "분류기가 꺼진 뒤의 새 문장")
        assert error.value.code() == grpc.StatusCode.UNAVAILABLE and "classifier" in error.value.details()
        down = httpx.post(url + "/v1/recommend", json={"text": "분류기가 꺼진 뒤의 또 다른 문장"}, timeout=30)
        assert down.status_code == 503 and "classifier" in down.json()["error"]["message"]
        # The same answer from cache is still served while the classifier is down.
        assert recommend(stub, "오늘 너무 행복해").cached
        with classifier_service(DEFAULT_MODEL_DIR, tmp_path, port=port):
            deadline = time.monotonic() + 30
            while True:  # no restart of the recommender: its channel reconnects by itself
                try:
                    assert len(recommend(stub, "분류기가 돌아온 뒤의 문장").songs) == 5
                    break
                except grpc.RpcError:
                    assert time.monotonic() < deadline, "the recommender did not recover"
                    time.sleep(0.5)
            assert service.process.poll() is None
        channel.close()


def test_a_stalled_classifier_costs_a_deadline_not_a_pile_up(demo_catalog, tmp_path):
    with classifier_service(DEFAULT_MODEL_DIR, tmp_path) as classifier, \
            demo_recommender(demo_catalog, classifier.address, tmp_path / "rec") as (service, _), \
            gateway_process(service.address, tmp_path, MOODTUNE_GATEWAY_UPSTREAM_TIMEOUT_S=10) as url:
        stub = recommender_pb2_grpc.RecommenderStub(grpc.insecure_channel(service.address))
        recommend(stub, "준비 운동")
        before = proc_status(service.process.pid)
        os.kill(classifier.process.pid, signal.SIGSTOP)  # alive but silent: the slowest classifier
        try:
            started = time.monotonic()
            with pytest.raises(grpc.RpcError) as error:
                recommend(stub, "멈춘 분류기에게 묻는 문장")
            assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert "did not answer in time" in error.value.details()
            assert time.monotonic() - started < 8  # the recommender's 3 s deadline, not forever
            slow = httpx.post(url + "/v1/recommend", json={"text": "멈춘 분류기에게 묻는 또 다른 문장"}, timeout=30)
            assert slow.status_code == 504 and slow.json()["error"]["code"] == "upstream_timeout"
            with ThreadPoolExecutor(16) as pool:  # a burst while stalled
                codes = list(pool.map(lambda i: _code(stub, f"정지 중 요청 {i}"), range(32)))
            assert set(codes) == {grpc.StatusCode.DEADLINE_EXCEEDED}
        finally:
            os.kill(classifier.process.pid, signal.SIGCONT)
        after = proc_status(service.process.pid)
        print(f"\nstalled classifier: recommender threads {before['threads']} -> {after['threads']}, "
              f"RSS {before['rss_kb'] // 1024} -> {after['rss_kb'] // 1024} MB after 34 timed-out calls")
        assert after["threads"] <= before["threads"] + 40  # bounded by the worker pool, not by requests
        assert after["rss_kb"] < before["rss_kb"] + 100 * 1024
        assert len(recommend(stub, "다시 살아난 분류기").songs) == 5


def _code(stub, text):
    try:
        recommend(stub, text)
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()


def test_sigterm_under_load_finishes_in_flight_calls(demo_catalog, tmp_path):
    with classifier_service(DEFAULT_MODEL_DIR, tmp_path) as classifier, \
            demo_recommender(demo_catalog, classifier.address, tmp_path / "rec") as (service, _):
        channel = grpc.insecure_channel(service.address)
        stub = recommender_pb2_grpc.RecommenderStub(channel)
        recommend(stub, "준비 운동")
        statuses = []
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service="moodtune.v1.Recommender"), timeout=30)
        watcher = threading.Thread(target=lambda: statuses.extend(r.status for r in _until_error(watch)))
        watcher.start()
        os.kill(classifier.process.pid, signal.SIGSTOP)  # hold the next calls in flight
        with ThreadPoolExecutor(8) as pool:
            in_flight = [pool.submit(recommend, stub, f"진행 중인 요청 {i}", 30) for i in range(8)]
            time.sleep(0.5)
            service.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            os.kill(classifier.process.pid, signal.SIGCONT)
            answers = [f.result() for f in in_flight]
        assert all(len(a.songs) == 5 for a in answers)  # every in-flight call finished
        assert service.process.wait(timeout=30) == 0
        watcher.join(timeout=10)
        assert health_pb2.HealthCheckResponse.NOT_SERVING in statuses  # health went down first
        with pytest.raises(grpc.RpcError) as error:  # and nothing new is accepted
            recommend(stub, "종료 후 요청", timeout=3)
        assert error.value.code() == grpc.StatusCode.UNAVAILABLE
        channel.close()


def _until_error(stream):
    try:
        yield from stream
    except grpc.RpcError:
        return


def test_gateway_sigterm_finishes_in_flight_requests(demo_catalog, tmp_path):
    with classifier_service(DEFAULT_MODEL_DIR, tmp_path) as classifier, \
            demo_recommender(demo_catalog, classifier.address, tmp_path / "rec") as (service, _):
        port = free_port()
        env = {**os.environ, "MOODTUNE_GATEWAY_PORT": str(port), "MOODTUNE_RECOMMENDER_ADDR": service.address}
        gateway = subprocess.Popen([sys.executable, "-m", "services.cli", "serve", "gateway"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
            os.kill(classifier.process.pid, signal.SIGSTOP)
            with ThreadPoolExecutor(6) as pool:
                futures = [pool.submit(httpx.post, url + "/v1/recommend", json={"text": f"게이트웨이 종료 {i}"},
                                       timeout=30) for i in range(6)]
                time.sleep(0.5)
                gateway.send_signal(signal.SIGTERM)
                time.sleep(0.3)
                os.kill(classifier.process.pid, signal.SIGCONT)
                statuses = [f.result().status_code for f in futures]
            assert statuses == [200] * 6
            # uvicorn finishes gracefully, then re-raises SIGTERM so the exit status tells why it stopped.
            assert gateway.wait(timeout=30) in (0, -signal.SIGTERM)
            with pytest.raises(httpx.TransportError):
                httpx.post(url + "/v1/recommend", json={"text": "종료 후"}, timeout=3)
        finally:
            stop(gateway)


def test_redis_killed_and_restarted_loses_no_feedback(demo_catalog, tmp_path):
    import shutil

    shutil.copytree(demo_catalog["qdrant"], tmp_path / "qdrant")
    redis_dir = tmp_path / "redis"
    with classifier_service(DEFAULT_MODEL_DIR, tmp_path) as classifier:
        port = free_port()
        url = f"redis://127.0.0.1:{port}/0"
        first = _start_redis(redis_dir, port)
        with recommender_service(tmp_path / "qdrant", classifier.address, url, tmp_path) as service:
            stub = recommender_pb2_grpc.RecommenderStub(grpc.insecure_channel(service.address))
            song = recommend(stub, "레디스 테스트", user_id="aof-user").songs[0].song.song_id
            stub.SubmitFeedback(recommender_pb2.FeedbackRequest(
                user_id="aof-user", song_id=song, feedback=recommender_pb2.FEEDBACK_DISLIKED), timeout=10)
            first.kill()  # SIGKILL: no clean shutdown, only the append-only file
            first.wait()
            results = [recommend(stub, f"레디스가 꺼진 동안 {i}") for i in range(10)]
            assert all(len(r.songs) == 5 for r in results)
            second = _start_redis(redis_dir, port)
            try:
                deadline = time.monotonic() + 15
                while not recommend(stub, "레디스 테스트 캐시 재개").cached:  # caching resumes by itself
                    assert time.monotonic() < deadline, "caching did not resume"
                    time.sleep(0.5)
                again = recommend(stub, "레디스 테스트", user_id="aof-user")
                assert song not in [r.song.song_id for r in again.songs]  # the dislike survived
            finally:
                second.kill()
                second.wait()


def _start_redis(directory: Path, port: int) -> subprocess.Popen:
    import redis as redis_client

    directory.mkdir(exist_ok=True)
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
                                "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            redis_client.Redis(port=port).ping()
            return process
        except redis_client.ConnectionError:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_ingest_killed_midway_resumes_and_stores_each_song_once(shipped_classifier, tmp_path):
    env = {**os.environ, "MOODTUNE_CLASSIFIER_ADDR": shipped_classifier.address,
           "MOODTUNE_QDRANT_PATH": str(tmp_path / "qdrant"), "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0",
           "MOODTUNE_INGEST_BATCH_SIZE": "8"}
    job = tmp_path / "job"
    crawl = subprocess.Popen([MOODTUNE, "ingest", "--demo", "--job-dir", str(job)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    outcomes = job / "outcomes.jsonl"
    deadline = time.monotonic() + 120
    while not outcomes.exists() or sum(1 for _ in outcomes.open()) < 60:
        assert crawl.poll() is None and time.monotonic() < deadline, "the crawl ended before it could be killed"
        time.sleep(0.05)
    crawl.kill()  # mid-crawl, mid-batch
    crawl.wait()
    done_before = sum(1 for _ in outcomes.open())
    resumed = subprocess.run([MOODTUNE, "ingest", "--demo", "--job-dir", str(job)], env=env,
                             capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    report = json.loads((job / "report.json").read_text())
    print(f"\ningest killed after {done_before} outcomes; resumed: {report}")
    assert report["unaccounted"] == 0 and report["already_done"] > 0
    assert report["already_done"] + report["stored"] + sum(report["skipped"].values()) \
        + sum(report["failed"].values()) == report["seen"] == 280
    store = catalog.connect(CommonSettings(qdrant_path=tmp_path / "qdrant"))
    try:
        assert store.count() == 272  # each song exactly once
    finally:
        store.close()

"""The real EmotionClassifier service, as a process on a loopback port, called over gRPC."""

from __future__ import annotations

import re
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from moodtune.v1 import classifier_pb2, classifier_pb2_grpc
from tests.support.processes import classifier_service, health_status

SENTENCES = ["오늘 발표 망쳐서 너무 속상해", "내일 면접이라 너무 떨려", "점심 뭐 먹지", "합격했다 ㅋㅋㅋ 최고"]
LYRICS = "\n".join(
    ["창밖에 비가 내리고", "너의 이름을 불러봐도", "대답 없는 밤이 길어", "나는 혼자 남아 있어"] * 6
)


@pytest.fixture(scope="module")
def service(tiny_model_dir, tmp_path_factory):
    with classifier_service(tiny_model_dir, tmp_path_factory.mktemp("classifier"),
                            MOODTUNE_CLASSIFIER_MAX_TEXTS=8, MOODTUNE_CLASSIFIER_MAX_UTTERANCE_CHARS=100,
                            MOODTUNE_CLASSIFIER_MAX_DELAY_MS=20) as running:
        yield running


@pytest.fixture(scope="module")
def stub(service):
    with grpc.insecure_channel(service.address) as channel:
        yield classifier_pb2_grpc.EmotionClassifierStub(channel)


def test_classify_utterances_returns_six_probabilities_per_text(stub):
    response = stub.Classify(classifier_pb2.ClassifyRequest(texts=SENTENCES), timeout=10)
    assert response.model_version == "tiny-0"
    assert len(response.results) == len(SENTENCES)
    for result in response.results:
        probabilities = list(result.scores.probabilities)
        assert len(probabilities) == 6
        assert sum(probabilities) == pytest.approx(1.0, abs=1e-5)
        top = max(range(6), key=probabilities.__getitem__)
        assert result.scores.label == top + 1
        assert result.scores.confidence == pytest.approx(probabilities[top])


def test_lyrics_are_windowed_and_return_a_highlight(stub):
    response = stub.Classify(
        classifier_pb2.ClassifyRequest(texts=[LYRICS, "한 줄 / 두 줄"], kind=classifier_pb2.TEXT_KIND_LYRICS),
        timeout=10,
    )
    song, short = response.results
    assert song.windows == 6  # 24 lines, 4 lines per window
    assert song.highlight and song.highlight in LYRICS
    assert short.windows == 1 and short.highlight == "한 줄\n두 줄"
    assert sum(song.scores.probabilities) == pytest.approx(1.0, abs=1e-5)


def test_model_info_describes_the_artifact(stub):
    info = stub.GetModelInfo(classifier_pb2.GetModelInfoRequest(), timeout=10)
    assert info.name == "tiny-random" and info.version == "tiny-0"
    assert list(info.labels) == ["anger", "tension", "sadness", "peace", "joy", "neutral"]
    assert info.max_length == 64 and info.input_prefix == "query: "
    assert info.execution_provider == "CPUExecutionProvider"
    assert info.evaluations[0].split == "conversation-test"
    assert info.evaluations[0].macro_f1 == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ([], "texts is empty"),
        (["좋아", "   "], r"texts\[1\] is empty or whitespace only"),
        (["가"] * 9, "9 texts in one request; the limit is 8"),
        (["괜찮아", "가" * 101], r"texts\[1\] has 101 characters; the limit for utterance is 100"),
    ],
)
def test_bad_input_is_invalid_argument_naming_the_item(stub, texts, message):
    with pytest.raises(grpc.RpcError) as error:
        stub.Classify(classifier_pb2.ClassifyRequest(texts=texts), timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert re.search(message, error.value.details())


def test_server_survives_bad_input_and_oversized_messages(service, stub):
    with pytest.raises(grpc.RpcError) as error:
        stub.Classify(classifier_pb2.ClassifyRequest(texts=["가" * 5_000_000]), timeout=10)
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert stub.Classify(classifier_pb2.ClassifyRequest(texts=["괜찮아"]), timeout=10).results
    assert service.process.poll() is None


def test_concurrent_calls_are_merged_into_larger_batches(service, stub):
    def call(i: int):
        text = SENTENCES[i % len(SENTENCES)]
        response = stub.Classify(classifier_pb2.ClassifyRequest(texts=[text]), timeout=30)
        return text, list(response.results[0].scores.probabilities)

    with pytest.raises(grpc.RpcError):  # one error, for the error counter
        stub.Classify(classifier_pb2.ClassifyRequest(texts=[]), timeout=10)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(call, range(64)))
    # The same text gets the same answer, whichever batch it was in (padding must not leak).
    by_text: dict[str, list[float]] = {}
    for text, probabilities in results:
        assert by_text.setdefault(text, probabilities) == pytest.approx(probabilities, abs=1e-5)

    metrics = service.metrics()
    count = float(re.search(r"^moodtune_classifier_batch_size_count (\S+)$", metrics, re.M).group(1))
    total = float(re.search(r"^moodtune_classifier_batch_size_sum (\S+)$", metrics, re.M).group(1))
    singles = float(re.search(r'^moodtune_classifier_batch_size_bucket\{le="1.0"\} (\S+)$', metrics, re.M).group(1))
    print(f"batches: {count:.0f}, texts: {total:.0f}, mean batch {total / count:.2f}")
    assert count > singles, "no batch held more than one text"
    assert total / count > 1.5
    assert re.search(r'moodtune_grpc_requests_total\{code="OK",method="Classify",service="classifier"\} \d', metrics)
    assert re.search(r'moodtune_grpc_errors_total\{code="INVALID_ARGUMENT"', metrics)


def test_health_reflection_and_request_id(service, stub):
    assert health_status(service.address, "moodtune.v1.EmotionClassifier") == "SERVING"
    with grpc.insecure_channel(service.address) as channel:
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = {s.name for r in responses for s in r.list_services_response.service}
    assert {"moodtune.v1.EmotionClassifier", "grpc.health.v1.Health"} <= names

    _, call = stub.Classify.with_call(
        classifier_pb2.ClassifyRequest(texts=["안녕"]), metadata=[("x-request-id", "req-42")], timeout=10
    )
    assert ("x-request-id", "req-42") in call.initial_metadata()


def test_sigterm_finishes_in_flight_calls_and_refuses_new_ones(tiny_model_dir, tmp_path):
    # A long queue delay keeps calls in flight while SIGTERM arrives.
    with classifier_service(tiny_model_dir, tmp_path, MOODTUNE_CLASSIFIER_MAX_DELAY_MS=1500,
                            MOODTUNE_CLASSIFIER_MAX_BATCH=512) as running:
        with grpc.insecure_channel(running.address) as channel:
            stub = classifier_pb2_grpc.EmotionClassifierStub(channel)
            futures = [stub.Classify.future(classifier_pb2.ClassifyRequest(texts=["잘 자"]), timeout=20)
                       for _ in range(8)]
            threading.Event().wait(0.3)
            running.process.send_signal(signal.SIGTERM)
            results = [f.result() for f in futures]
            assert all(len(r.results) == 1 for r in results)
            assert running.process.wait(timeout=20) == 0
            with pytest.raises(grpc.RpcError) as error:
                stub.Classify(classifier_pb2.ClassifyRequest(texts=["안녕"]), timeout=2)
            assert error.value.code() == grpc.StatusCode.UNAVAILABLE
        assert '"stopping' in running.log() or "stopping" in running.log()

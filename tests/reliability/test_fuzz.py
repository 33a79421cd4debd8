"""Property-based tests: random and hostile input against the gateway's JSON API and the gRPC
services. No input may cause a 5xx or a crash; every rejection carries a message."""

from __future__ import annotations

from urllib.parse import quote

import grpc
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moodtune.v1 import classifier_pb2, classifier_pb2_grpc, recommender_pb2, recommender_pb2_grpc
from tests.support.processes import demo_recommender, gateway_process

CASES = 120
FUZZ = settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
COUNTS: dict[str, int] = {}

# Text as users and attackers type it: any code point, plus the awkward ones on purpose.
AWKWARD = st.sampled_from(["\u200f", "\u202e", "\u0000", "\u0007", "\ufeff", "🙂", "👩‍👩‍👧", "\U0010ffff",
                           "<script>alert(1)</script>", "' OR 1=1 --", "ㅋ" * 500, "\n" * 50])
TEXT = st.one_of(st.text(max_size=60), st.text(min_size=900, max_size=1200),
                 st.lists(st.one_of(st.text(max_size=5), AWKWARD), max_size=8).map("".join))
JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=3), max_leaves=6)


@pytest.fixture(scope="module")
def stack(demo_catalog, shipped_classifier, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    with demo_recommender(demo_catalog, shipped_classifier.address, tmp) as (service, _), \
            gateway_process(service.address, tmp, MOODTUNE_GATEWAY_RATE_PER_MINUTE=10**7,
                            MOODTUNE_GATEWAY_RATE_BURST=10**6) as url:
        with httpx.Client(base_url=url, timeout=30) as http, grpc.insecure_channel(service.address) as rec, \
                grpc.insecure_channel(shipped_classifier.address) as cls:
            yield {"http": http, "recommender": recommender_pb2_grpc.RecommenderStub(rec),
                   "classifier": classifier_pb2_grpc.EmotionClassifierStub(cls)}
    print(f"\nproperty-based cases run: {COUNTS} ({sum(COUNTS.values())} in all)")


def check_http(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert body["error"]["message"] and "Traceback" not in response.text


def count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


@FUZZ
@given(body=st.fixed_dictionaries({}, optional={"text": TEXT | JSON_VALUE, "limit": JSON_VALUE | st.integers(),
                                                "mode": TEXT | JSON_VALUE, "target": TEXT, "user_id": TEXT | JSON_VALUE,
                                                "filter": JSON_VALUE}))
def test_gateway_recommend_never_fails_on_input(stack, body):
    count("HTTP /v1/recommend")
    check_http(stack["http"].post("/v1/recommend", json=body))


@FUZZ
@given(body=JSON_VALUE, path=st.sampled_from(["/v1/recommend", "/v1/classify", "/v1/feedback"]))
def test_gateway_any_json_anywhere(stack, body, path):
    count("HTTP any JSON")
    check_http(stack["http"].post(path, json=body))


@FUZZ
@given(raw=st.binary(max_size=300), path=st.sampled_from(["/v1/recommend", "/v1/classify", "/v1/feedback"]))
def test_gateway_raw_bytes_and_lone_surrogates(stack, raw, path):
    count("HTTP raw bytes")
    check_http(stack["http"].post(path, content=raw, headers={"content-type": "application/json"}))
    # JSON allows escaped lone surrogates, which no UTF-8 transport can carry further.
    check_http(stack["http"].post(path, content=b'{"text": "\\ud800 ' + raw.hex().encode() + b'"}',
                                  headers={"content-type": "application/json"}))


@FUZZ
@given(song_id=st.one_of(st.integers(), st.text(max_size=20)))
def test_gateway_song_ids(stack, song_id):
    count("HTTP /v1/songs/{id}")
    check_http(stack["http"].get("/v1/songs/" + quote(str(song_id), safe="")))


def _safe(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:  # a lone surrogate: protobuf cannot carry it at all
        return False


@FUZZ
@given(text=TEXT.filter(_safe), limit=st.integers(-2**31, 2**31 - 1), mode=st.integers(0, 10),
       target=st.integers(0, 10), user=TEXT.filter(_safe))
def test_recommender_grpc_rejects_cleanly(stack, text, limit, mode, target, user):
    count("gRPC Recommend")
    try:
        stack["recommender"].Recommend(recommender_pb2.RecommendRequest(
            text=text, limit=limit, mode=mode, target=target, user_id=user), timeout=30)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (error.code(), error.details())
        assert error.details()


@FUZZ
@given(texts=st.lists(TEXT.filter(_safe), max_size=6), kind=st.integers(0, 5))
def test_classifier_grpc_rejects_cleanly(stack, texts, kind):
    count("gRPC Classify")
    try:
        response = stack["classifier"].Classify(classifier_pb2.ClassifyRequest(texts=texts, kind=kind), timeout=30)
        assert len(response.results) == len(texts)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (error.code(), error.details())
        assert error.details()

"""The HTTP gateway as a real process in front of a real recommender: API, errors, guards."""

from __future__ import annotations

import httpx
import pytest

from tests.support.processes import demo_recommender, free_port, gateway_process


@pytest.fixture(scope="module")
def recommender(demo_catalog, shipped_classifier, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gateway")
    with demo_recommender(demo_catalog, shipped_classifier.address, tmp) as (service, _):
        yield service, tmp


@pytest.fixture(scope="module")
def gateway(recommender):
    service, tmp = recommender
    with gateway_process(service.address, tmp) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client


def assert_error(response: httpx.Response, status: int, code: str, fragment: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code and fragment in body["error"]["message"]
    assert "Traceback" not in response.text


def test_recommend_returns_the_emotion_and_five_songs(gateway):
    response = gateway.post("/v1/recommend", json={"text": "오늘 발표 망쳐서 너무 속상해"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["emotion"]["label"] == "sadness" and len(body["emotion"]["probabilities"]) == 6
    assert len(body["songs"]) == 5 and body["mode"] == "match"
    song = body["songs"][0]["song"]
    assert {"song_id", "title", "artists", "album", "year", "genres", "emotions", "highlight"} <= set(song)
    regulate = gateway.post("/v1/recommend", json={"text": "너무 우울해", "mode": "regulate", "target": "joy",
                                                   "limit": 4}).json()
    assert regulate["mode"] == "regulate" and len(regulate["songs"]) == 4 and regulate["songs"][-1]["aim"]


def test_feedback_classify_and_songs(gateway):
    song_id = gateway.post("/v1/recommend", json={"text": "행복해"}).json()["songs"][0]["song"]["song_id"]
    assert gateway.post("/v1/feedback", json={"user_id": "web-1", "song_id": song_id, "feedback": "liked"}).json() == {
        "recorded": True}
    classified = gateway.post("/v1/classify", json={"text": "내일 면접이라 너무 떨려"}).json()
    assert classified["emotion"]["label"] == "tension"
    assert gateway.get(f"/v1/songs/{song_id}").json()["song_id"] == song_id
    assert_error(gateway.get("/v1/songs/999999"), 404, "not_found", "999999")
    assert_error(gateway.post("/v1/feedback", json={"user_id": "u", "song_id": 999999, "feedback": "liked"}),
                 404, "not_found")


@pytest.mark.parametrize(("body", "fragment"), [
    ({"text": "   "}, "text is empty"),
    ({"text": "가" * 1001}, "limit is 1000"),
    ({"text": "좋아", "limit": 0}, "limit"),
    ({"text": "좋아", "limit": 51}, "limit"),
    ({"text": "좋아", "mode": "sideways"}, "mode"),
    ({"text": "좋아", "target": "anger"}, "target"),
    ({"text": 42}, "text"),
    ({}, "text: Field required"),
    ({"text": "좋아", "surprise": 1}, "surprise"),
    ({"text": "좋아", "filter": {"year_from": 1800}}, "year_from"),
])
def test_validation_errors_are_422_with_a_message(gateway, body, fragment):
    assert_error(gateway.post("/v1/recommend", json=body), 422, "invalid_request", fragment)


def test_malformed_json_and_oversized_bodies(gateway):
    assert_error(gateway.post("/v1/recommend", content=b"{not json", headers={"content-type": "application/json"}),
                 422, "invalid_request")
    huge = {"text": "가" * 20_000}
    assert_error(gateway.post("/v1/recommend", json=huge), 413, "body_too_large")

    def chunks():  # no Content-Length: counted while it streams
        for _ in range(40):
            yield b"x" * 1024

    assert_error(gateway.post("/v1/recommend", content=chunks(), headers={"content-type": "application/json"}),
                 413, "body_too_large")


def test_health_ready_metrics_docs_and_headers(gateway):
    assert gateway.get("/healthz").json() == {"status": "ok"}
    assert gateway.get("/readyz").json() == {"status": "ready"}
    metrics = gateway.get("/metrics").text
    assert "moodtune_http_requests_total" in metrics
    docs = gateway.get("/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text.lower()
    assert {"/v1/recommend", "/v1/feedback", "/v1/classify", "/v1/songs/{song_id}"} <= set(
        gateway.get("/openapi.json").json()["paths"])
    page = gateway.get("/")
    assert page.status_code == 200 and "지금 기분 그대로" in page.text and "기분 전환" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    assert "http://" not in page.text and "https://" not in page.text  # nothing loaded from elsewhere
    preflight = gateway.options("/v1/recommend", headers={"origin": "https://evil.example",
                                                          "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers  # CORS closed by default


def test_rate_limit_answers_429_with_retry_after(recommender):
    service, tmp = recommender
    with gateway_process(service.address, tmp, MOODTUNE_GATEWAY_RATE_BURST=3,
                         MOODTUNE_GATEWAY_RATE_PER_MINUTE=6) as url:
        statuses = [httpx.post(url + "/v1/classify", json={"text": "안녕"}).status_code for _ in range(5)]
        limited = httpx.post(url + "/v1/classify", json={"text": "안녕"})
        assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
        assert_error(limited, 429, "too_many_requests")
        assert int(limited.headers["retry-after"]) >= 1
        assert httpx.get(url + "/healthz").status_code == 200  # only the API is limited


def test_upstream_down_is_503_and_slow_upstream_is_504(recommender):
    service, tmp = recommender
    with gateway_process(f"127.0.0.1:{free_port()}", tmp) as url:
        assert_error(httpx.post(url + "/v1/recommend", json={"text": "안녕"}, timeout=30), 503, "unavailable")
        assert_error(httpx.get(url + "/readyz"), 503, "not_ready")
    with gateway_process(service.address, tmp, MOODTUNE_GATEWAY_UPSTREAM_TIMEOUT_S=0.0005) as url:
        assert_error(httpx.post(url + "/v1/recommend", json={"text": "처음 보는 새로운 문장이야"}, timeout=30),
                     504, "upstream_timeout")

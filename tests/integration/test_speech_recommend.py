"""Speech -> songs end to end with real processes: gateway -> recommender -> speech (and classifier),
over HTTP (raw body and multipart), over gRPC (RecommendSpeech) and from the CLI."""

from __future__ import annotations

import json
import os
import subprocess

import grpc
import httpx
import pytest

from moodtune.v1 import recommender_pb2, recommender_pb2_grpc, speech_pb2
from services.common.speech import REASON_KEY
from tests.conftest import MOODTUNE
from tests.integration.test_gateway import assert_error
from tests.support import speech_audio
from tests.support.processes import demo_recommender, gateway_process, speech_service
from tests.support.speech_audio import HEARD

SPEECH = "/v1/recommend/speech"


@pytest.fixture(scope="module")
def stack(demo_catalog, shipped_classifier, tmp_path_factory):
    """A speech service of this module's own (a test stops it), a recommender and a gateway."""
    tmp = tmp_path_factory.mktemp("speech-stack")
    with speech_service(tmp) as speech, \
            demo_recommender(demo_catalog, shipped_classifier.address, tmp,
                             MOODTUNE_SPEECH_ADDR=speech.address) as (recommender, _), \
            gateway_process(recommender.address, tmp, MOODTUNE_GATEWAY_MAX_SPEECH_BODY_BYTES=600_000,
                            MOODTUNE_SPEECH_MAX_AUDIO_BYTES=500_000) as url, \
            httpx.Client(base_url=url, timeout=60) as client:
        yield {"speech": speech, "recommender": recommender, "http": client}


@pytest.fixture(scope="module")
def webm():
    return speech_audio.spoken("webm-opus")


def test_http_raw_webm_recording_gives_a_transcript_and_five_songs(stack, webm):
    response = stack["http"].post(SPEECH, content=webm, headers={"content-type": "audio/webm;codecs=opus"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["transcript"]["text"].split()[0] == HEARD[2]
    assert 0 < body["transcript"]["confidence"] <= 1 and body["transcript"]["seconds"] > 3
    assert len(body["songs"]) == 5 and body["mode"] == "match" and len(body["emotion"]["probabilities"]) == 6


def test_http_multipart_with_the_options_of_recommend(stack):
    m4a = speech_audio.spoken("mp4-aac")
    response = stack["http"].post(SPEECH, files={"audio": ("said.m4a", m4a, "audio/mp4")},
                                  data={"mode": "regulate", "target": "joy", "limit": "3"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "regulate" and len(body["songs"]) == 3 and body["songs"][-1]["aim"]
    assert body["transcript"]["text"]
    by_query = stack["http"].post(SPEECH, params={"limit": 2}, content=speech_audio.spoken("ogg-opus"),
                                  headers={"content-type": "audio/ogg"})
    assert by_query.status_code == 200 and len(by_query.json()["songs"]) == 2


def test_http_refusals(stack):
    http = stack["http"]
    assert_error(http.post(SPEECH, content=speech_audio.silence(1.5), headers={"content-type": "audio/webm"}),
                 422, "no_speech", "no speech heard")
    assert_error(http.post(SPEECH, content=b"garbage" * 50, headers={"content-type": "audio/mpeg"}),
                 415, "unsupported_audio", "not a recording FFmpeg can read")
    assert_error(http.post(SPEECH, content=b"", headers={"content-type": "audio/wav"}), 415, "unsupported_audio",
                 "empty")
    assert_error(http.post(SPEECH, content=b"hello", headers={"content-type": "text/plain"}),
                 415, "unsupported_media_type", "text/plain")
    assert_error(http.post(SPEECH, content=speech_audio.silence(31.0), headers={"content-type": "audio/webm"}),
                 413, "audio_too_large", "longer than 30 s")
    assert_error(http.post(SPEECH, content=b"\0" * 550_000, headers={"content-type": "audio/wav"}),
                 413, "audio_too_large", "the limit is 500000")
    assert_error(http.post(SPEECH, content=b"\0" * 700_000, headers={"content-type": "audio/wav"}),
                 413, "body_too_large")
    assert_error(http.post(SPEECH, params={"limit": 0}, content=b"x", headers={"content-type": "audio/wav"}),
                 422, "invalid_request", "limit")
    assert_error(http.post(SPEECH, files={"recording": ("a.webm", b"x", "audio/webm")}), 422, "invalid_request",
                 "audio")
    assert_error(http.post(SPEECH, content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data; boundary=x"}),
                 400, "bad_request", "multipart")
    not_allowed = http.request("TRACE", SPEECH)
    assert_error(not_allowed, 405, "method_not_allowed")
    assert not_allowed.headers["allow"] == "POST"
    # Other routes keep their small body limit.
    assert_error(http.post("/v1/recommend", json={"text": "가" * 20_000}), 413, "body_too_large")


def test_grpc_recommend_speech_in_one_call(stack, webm):
    with grpc.insecure_channel(stack["recommender"].address,
                               options=[("grpc.max_send_message_length", 16 << 20)]) as channel:
        stub = recommender_pb2_grpc.RecommenderStub(channel)
        response = stub.RecommendSpeech(recommender_pb2.RecommendSpeechRequest(
            audio=speech_pb2.TranscribeRequest(audio=webm, content_type="audio/webm"),
            options=recommender_pb2.RecommendRequest(limit=4)), timeout=60)
        assert response.transcript.text.split()[0] == HEARD[2]
        assert len(response.recommendation.songs) == 4
        with pytest.raises(grpc.RpcError) as caught:
            stub.RecommendSpeech(recommender_pb2.RecommendSpeechRequest(
                audio=speech_pb2.TranscribeRequest(audio=speech_audio.silence(1.0))), timeout=60)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert dict(caught.value.trailing_metadata())[REASON_KEY] == "no_speech"
        with pytest.raises(grpc.RpcError) as caught:  # options are checked before any recognition
            stub.RecommendSpeech(recommender_pb2.RecommendSpeechRequest(
                audio=speech_pb2.TranscribeRequest(audio=webm), options=recommender_pb2.RecommendRequest(limit=99)),
                timeout=60)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "limit" in caught.value.details()


def test_cli_recommend_speech_json(stack, tmp_path, webm):
    recording = tmp_path / "said.webm"
    recording.write_bytes(webm)
    run = subprocess.run([MOODTUNE, "recommend", "--speech", str(recording), "--json", "--server",
                          stack["recommender"].address], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    line = json.loads(run.stdout)
    assert line["transcript"]["text"] == line["text"] and line["text"].split()[0] == HEARD[2]
    assert len(line["songs"]) == 5


@pytest.mark.slow
def test_cli_recommend_speech_in_process(copy_of_demo_store, shipped_classifier, tmp_path, webm):
    recording = tmp_path / "said.webm"
    recording.write_bytes(webm)
    env = {**os.environ, "MOODTUNE_QDRANT_PATH": str(copy_of_demo_store), "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0",
           "MOODTUNE_CLASSIFIER_ADDR": shipped_classifier.address}
    env.pop("MOODTUNE_SPEECH_ADDR", None)
    run = subprocess.run([MOODTUNE, "recommend", "--speech", str(recording)], capture_output=True, text=True,
                         timeout=180, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"「{HEARD[2]}") and " 1. " in run.stdout


def test_speech_service_down_is_503_and_unavailable(stack, webm):
    """Last in this module: it stops the module's speech service."""
    from tests.support.processes import stop

    stop(stack["speech"].process)
    response = stack["http"].post(SPEECH, content=webm, headers={"content-type": "audio/webm"})
    assert_error(response, 503, "unavailable", "speech service")
    # Text still works without it.
    assert stack["http"].post("/v1/recommend", json={"text": "좋아"}).status_code == 200

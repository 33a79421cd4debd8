"""What the gateway's OpenAPI document promises, checked without a server (Schemathesis checks the
server against it in tests/integration/test_openapi_contract.py)."""

from __future__ import annotations

import re

from services.common.settings import GatewaySettings
from services.gateway import schemas
from services.gateway.app import create_app


def document() -> dict:
    return create_app(GatewaySettings()).openapi()


def test_the_text_pattern_is_exactly_what_trimming_removes():
    pattern = re.compile(schemas.TextBody.model_json_schema()["properties"]["text"]["pattern"])
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        assert bool(pattern.search(chr(code))) == (not chr(code).isspace()), hex(code)


def test_every_route_lists_its_error_statuses():
    paths = document()["paths"]
    expected = {
        ("/v1/recommend", "post"): {"200", "400", "413", "422", "429", "502", "503", "504"},
        ("/v1/recommend/speech", "post"): {"200", "400", "413", "415", "422", "429", "502", "503", "504"},
        ("/v1/feedback", "post"): {"200", "400", "404", "413", "422", "429", "502", "503", "504"},
        ("/v1/classify", "post"): {"200", "400", "413", "422", "429", "502", "503", "504"},
        ("/v1/songs/{song_id}", "get"): {"200", "404", "422", "429", "502", "503", "504"},
        ("/readyz", "get"): {"200", "503"},
        ("/v1/songs/{song_id}/similar", "get"): {"200", "404", "409", "422", "429", "502", "503", "504"},
        ("/v1/songs/{song_id}/preview", "get"): {"200", "206", "404", "422", "429"},
    }
    for (path, method), statuses in expected.items():
        responses = paths[path][method]["responses"]
        assert set(responses) == statuses, path
        for status in statuses - {"200", "206"}:
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorOut"), (path, status)
    assert "Retry-After" in paths["/v1/recommend"]["post"]["responses"]["429"]["headers"]
    preview = paths["/v1/songs/{song_id}/preview"]["get"]["responses"]
    assert set(preview["200"]["content"]) == set(preview["206"]["content"]) == {"audio/flac"}


def test_metrics_are_text_and_the_speech_route_takes_audio_or_multipart():
    paths = document()["paths"]
    assert set(paths["/metrics"]["get"]["responses"]["200"]["content"]) == {"text/plain"}
    body = paths["/v1/recommend/speech"]["post"]["requestBody"]["content"]
    assert {"audio/webm", "audio/ogg", "audio/mp4", "audio/wav", "audio/mpeg", "multipart/form-data"} <= set(body)
    form = body["multipart/form-data"]["schema"]
    assert form["required"] == ["audio"] and {"limit", "mode", "target", "user_id", "genres"} <= set(form["properties"])
    query = {p["name"] for p in paths["/v1/recommend/speech"]["post"]["parameters"] if p["in"] == "query"}
    assert {"limit", "mode", "target", "user_id", "genres", "year_from", "year_to", "exclude_song_ids"} == query
    answer = paths["/v1/recommend/speech"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["$ref"].endswith("/SpeechRecommendOut")
    assert "transcript" in document()["components"]["schemas"]["SpeechRecommendOut"]["required"]


def test_song_ids_stay_exact_for_json_readers():
    song_id = schemas.FeedbackBody.model_json_schema()["properties"]["song_id"]
    assert song_id["maximum"] == 2**53 - 1 and float(song_id["maximum"]) == song_id["maximum"]

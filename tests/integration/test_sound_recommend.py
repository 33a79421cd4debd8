"""Sound in the recommendations (issue 14), end to end: SimilarSongs over real gRPC, the CLI and the
HTTP gateway (errors, the preview clip with Range), and reason lines that name the signals. The
catalog is the session's demo catalog, whose subset of songs has generated sound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import grpc
import httpx
import pytest

from moodtune.v1 import recommender_pb2, recommender_pb2_grpc
from tests.support.demo_sound import SUBSET
from tests.support.processes import demo_recommender, gateway_process

MOODTUNE = str(Path(sys.executable).parent / "moodtune")
LYRICS_ONLY = 30  # a demo song outside the rendered subset: no sound in the test catalog, but in playlists
NO_SOUND_NO_PLAYLIST = 43  # outside the rendered subset and in no demo playlist: nothing to be like


@pytest.fixture(scope="module")
def stack(demo_catalog, shipped_classifier, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sound")
    with demo_recommender(demo_catalog, shipped_classifier.address, tmp) as (service, _):
        channel = grpc.insecure_channel(service.address)
        with gateway_process(service.address, tmp,
                             MOODTUNE_GATEWAY_PREVIEW_DIR=demo_catalog["sound_dir"] / "v2" / "audio") as url, \
                httpx.Client(base_url=url, timeout=30) as client:
            yield {"stub": recommender_pb2_grpc.RecommenderStub(channel), "http": client, "service": service}
        channel.close()


def similar(stack, song_id: int, **fields) -> recommender_pb2.SimilarSongsResponse:
    return stack["stub"].SimilarSongs(recommender_pb2.SimilarSongsRequest(song_id=song_id, **fields), timeout=30)


def test_similar_songs_sound_alike_and_never_repeat_the_song(stack):
    answer = similar(stack, 1)
    ids = [pick.song.song_id for pick in answer.songs]
    assert len(ids) == 5 and 1 not in ids and len(set(ids)) == 5
    assert set(ids) <= set(SUBSET)  # only songs with sound can sound like anything
    assert all("sound" in pick.song.signals for pick in answer.songs)
    assert [p.similarity for p in answer.songs] and all(-1 <= p.similarity <= 1 for p in answer.songs)
    assert all(pick.reason.startswith("멜로디가 닮았어요") for pick in answer.songs)
    assert answer.song.song_id == 1 and answer.audio_model_version == answer.song.audio_model_version != ""
    # artist variety: no artist twice while other artists remain, and not the song's own first
    artists = [pick.song.artists[0] for pick in answer.songs]
    assert len(set(artists)) == len(artists)


def test_similar_songs_within_the_same_emotion(stack):
    song = stack["stub"].GetSong(recommender_pb2.GetSongRequest(song_id=3), timeout=10)
    answer = similar(stack, 3, limit=3, same_emotion=True)
    assert 1 <= len(answer.songs) <= 3
    assert {pick.song.emotions.label for pick in answer.songs} == {song.emotions.label}


def test_instrumentals_are_marked_and_can_be_asked_about(stack):
    song = stack["stub"].GetSong(recommender_pb2.GetSongRequest(song_id=273), timeout=10)
    assert song.instrumental and list(song.signals) == ["sound"] and song.preview and not song.highlight
    answer = similar(stack, 273)
    assert len(answer.songs) == 5 and 273 not in [p.song.song_id for p in answer.songs]


def test_a_song_without_sound_gets_songs_from_the_same_playlists(stack):
    """No sound but playlists: the neighbours come from the taste space, and say so."""
    song = stack["stub"].GetSong(recommender_pb2.GetSongRequest(song_id=LYRICS_ONLY), timeout=10)
    assert "sound" not in song.signals
    answer = similar(stack, LYRICS_ONLY)
    ids = [p.song.song_id for p in answer.songs]
    assert answer.space == "taste" and len(ids) == 5 and LYRICS_ONLY not in ids
    assert all(p.reason.startswith("같은 플레이리스트에 자주 담겨요") for p in answer.songs)
    assert similar(stack, 5).space == "audio"


@pytest.mark.parametrize("song_id, fields, code, message", [
    (NO_SOUND_NO_PLAYLIST, {}, grpc.StatusCode.FAILED_PRECONDITION, "has no sound"),
    (999_999, {}, grpc.StatusCode.NOT_FOUND, "not in the catalog"),
    (1, {"limit": 51}, grpc.StatusCode.INVALID_ARGUMENT, "limit must be between 1 and 50"),
    (1, {"limit": -1}, grpc.StatusCode.INVALID_ARGUMENT, "limit must be between 1 and 50"),
    (1, {"filter": recommender_pb2.RecommendFilter(year_from=2020, year_to=2000)},
     grpc.StatusCode.INVALID_ARGUMENT, "is after year_to"),
])
def test_similar_songs_errors(stack, song_id, fields, code, message):
    with pytest.raises(grpc.RpcError) as info:
        similar(stack, song_id, **fields)
    assert info.value.code() == code and message in info.value.details()


def test_match_reasons_name_the_signals_that_carry_the_feeling(stack):
    """Songs with both signals that agree on the matched emotion say so; songs with lyrics only keep
    the plain reason."""
    seen = []
    for text in ("오늘 발표 망쳐서 너무 속상해 눈물만 나", "진짜 너무 화나 다 때려치우고 싶어", "오늘 너무 행복해 날아갈 것 같아",
                 "내일 면접이라 너무 떨려", "따뜻한 차 한잔에 마음이 편안해"):
        answer = stack["stub"].Recommend(recommender_pb2.RecommendRequest(text=text, limit=10), timeout=30)
        for pick in answer.songs:
            signals = set(pick.song.signals)
            if signals == {"lyrics"}:
                assert pick.reason.endswith("닮았어요"), pick.reason
            else:
                seen.append(pick.reason)
                assert pick.reason.startswith(("가사와 멜로디 모두", "멜로디가", "가사가")) or \
                    pick.reason.endswith("닮았어요"), pick.reason
    assert any(reason.startswith("가사와 멜로디 모두") for reason in seen), seen


def test_http_similar_and_its_errors(stack):
    client = stack["http"]
    response = client.get("/v1/songs/2/similar")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["song"]["song_id"] == 2 and len(body["songs"]) == 5 and body["space"] == "audio"
    assert 2 not in [pick["song"]["song_id"] for pick in body["songs"]]
    assert all("sound" in pick["song"]["signals"] for pick in body["songs"])
    for path, status, code in ((f"/v1/songs/{NO_SOUND_NO_PLAYLIST}/similar", 409, "failed_precondition"),
                               ("/v1/songs/999999/similar", 404, "not_found"),
                               ("/v1/songs/2/similar?limit=0", 422, "invalid_request"),
                               ("/v1/songs/2/similar?limit=abc", 422, "invalid_request"),
                               ("/v1/songs/2/similar?year_from=2020&year_to=2000", 422, "invalid_request")):
        response = client.get(path)
        assert response.status_code == status, (path, response.text)
        assert response.json()["error"]["code"] == code and "Traceback" not in response.text


def test_preview_clips_are_served_with_range_support(stack, demo_catalog):
    client = stack["http"]
    clip = (demo_catalog["sound_dir"] / "v2" / "audio" / "273.flac").read_bytes()
    whole = client.get("/v1/songs/273/preview")
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/flac"
    assert whole.content == clip and whole.headers["accept-ranges"] == "bytes"
    part = client.get("/v1/songs/273/preview", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == clip[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(clip)}"
    assert client.get(f"/v1/songs/{LYRICS_ONLY}/preview").status_code == 404
    assert client.get("/v1/songs/0/preview").status_code == 422


def test_cli_similar_in_process_and_over_grpc(stack, copy_of_demo_store):
    env = {**os.environ, "MOODTUNE_QDRANT_PATH": str(copy_of_demo_store), "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0"}
    for extra in ([], ["--server", stack["service"].address]):
        run = subprocess.run([MOODTUNE, "similar", "5", "--json", *extra], env=env, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        answer = json.loads(run.stdout)
        ids = [pick["song"]["song_id"] for pick in answer["songs"]]
        assert len(ids) == 5 and 5 not in ids
    text = subprocess.run([MOODTUNE, "similar", "273", "--server", stack["service"].address], env=env,
                          capture_output=True, text=True, timeout=120)
    assert text.returncode == 0 and "처럼 들리는 노래" in text.stdout and len(text.stdout.splitlines()) == 6
    for song_id, message in ((str(NO_SOUND_NO_PLAYLIST), "has no sound"), ("999999", "not in the catalog")):
        run = subprocess.run([MOODTUNE, "similar", song_id, "--server", stack["service"].address], env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 2 and message in run.stderr, run.stderr


def test_liked_sounds_pull_the_next_picks_towards_them(stack, copy_of_demo_store):
    """Two listeners like a different calm song each: their calm picks lean towards their own song's sound."""
    import numpy as np

    from services.common import catalog
    from services.common.settings import CommonSettings

    store = catalog.connect(CommonSettings(qdrant_path=copy_of_demo_store))
    try:
        calm = {p.id: np.asarray(p.vectors["audio"]) for p in store.retrieve_points(list(SUBSET))
                if p.payload["label"] == "peace" and "lyrics" in p.payload["signals"]}
    finally:
        store.close()
    ids = sorted(calm)
    # the two calm songs that sound least alike
    a, b = min(((x, y) for x in ids for y in ids if x < y), key=lambda pair: calm[pair[0]] @ calm[pair[1]])
    closeness = {}
    for user, liked in (("listener-a", a), ("listener-b", b)):
        stack["stub"].SubmitFeedback(recommender_pb2.FeedbackRequest(
            user_id=user, song_id=liked, feedback=recommender_pb2.FEEDBACK_LIKED), timeout=10)
        answer = stack["stub"].Recommend(recommender_pb2.RecommendRequest(
            text="따뜻한 차 한잔 마시니까 마음이 편안하고 좋아", limit=5, user_id=user), timeout=30)
        picks = [p.song.song_id for p in answer.songs if p.song.song_id in calm]
        assert len(picks) >= 4
        closeness[user] = np.mean([calm[i] @ calm[a] - calm[i] @ calm[b] for i in picks])
    assert closeness["listener-a"] > closeness["listener-b"]


def test_sound_feedback_is_kept_by_audio_model_version(tmp_path):
    from services.recommender.cache import Cache
    from tests.support.redis_server import redis_server

    with redis_server(tmp_path / "redis") as (url, _):
        cache = Cache(url)
        cache.record_feedback("u", 7, "liked", [0.1] * 6, [0.5] * 512, "audio-v1")
        cache.record_feedback("u", 8, "disliked", [0.1] * 6, [0.25] * 512, "audio-v1")
        cache.record_feedback("u", 9, "liked", [0.1] * 6)  # a song without sound
        liked, disliked = cache.user_audio("u", "audio-v1")
        assert liked == [[0.5] * 512] and disliked == [[0.25] * 512]
        assert cache.user_audio("u", "audio-v2") == ([], [])  # another model's embeddings are not comparable
        cache.record_feedback("u", 7, "disliked", [0.1] * 6, [0.5] * 512, "audio-v1")
        liked, disliked = cache.user_audio("u", "audio-v1")
        assert liked == [] and sorted(map(tuple, disliked)) == sorted([(0.25,) * 512, (0.5,) * 512])
        keys = {k.decode() for k in cache.client.keys("mt:v1:user:*")}
        assert any(k.endswith(":dislikes-audio:audio-v1") for k in keys)


@pytest.mark.slow
def test_fused_search_is_not_worse_than_lyrics_alone(copy_of_demo_store, tmp_path):
    """The rule the fusion weight was chosen by (bench/sound.py on the whole demo): MATCH precision@5
    on held-out sentences, the same songs, `emotion` from the lyrics alone vs fused."""
    from bench.sound import engine_on, held_out_sentences, precision, variant
    from services.classifier.client import LocalClassifier
    from services.common import catalog
    from services.common.settings import ClassifierSettings, CommonSettings

    with catalog.connect(CommonSettings(qdrant_path=copy_of_demo_store)) as store:
        points, offset = [], None
        while True:
            page, offset = store.scroll(offset, 500)
            points += page
            if offset is None:
                break
    sentences, classifier = held_out_sentences(), LocalClassifier(ClassifierSettings())
    scores = {}
    for kind in ("lyrics", "fused"):
        engine = engine_on(variant(points, kind, 0.3, with_lyrics_only=True), tmp_path / kind, classifier)
        scores[kind] = precision(engine, sentences)
        engine.catalog.close()
    print(f"\nprecision@5, lyrics only {scores['lyrics']:.3f}, fused {scores['fused']:.3f}")
    assert scores["fused"] >= scores["lyrics"] >= 0.75

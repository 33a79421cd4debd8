"""The Recommender end to end over real gRPC: the real classifier service (shipped model), the demo
catalog in the embedded Qdrant Edge store, and a real redis-server."""

from __future__ import annotations

from collections import Counter

import grpc
import numpy as np
import pytest

from moodtune.v1 import emotion_pb2, recommender_pb2, recommender_pb2_grpc
from services.common.labels import EMOTIONS, INDEX
from services.ingest.demo import INSTRUMENTAL, INTENDED
from tests.support.processes import demo_recommender, metric
from training.corpora import load_project
from training.splits import split

INTENDED_EMOTION = {int(k): v for path in (INTENDED, INSTRUMENTAL)  # the songs without lyrics have sound here
                    for k, v in (l.split("\t") for l in path.read_text().splitlines()[1:])}
SAD = "오늘 발표 망쳐서 너무 속상해 눈물만 나"


@pytest.fixture(scope="module")
def stack(demo_catalog, shipped_classifier, tmp_path_factory):
    with demo_recommender(demo_catalog, shipped_classifier.address, tmp_path_factory.mktemp("rec")) as (
            service, redis_process):
        channel = grpc.insecure_channel(service.address)
        yield {"stub": recommender_pb2_grpc.RecommenderStub(channel), "service": service,
               "classifier": shipped_classifier, "redis": redis_process}
        channel.close()


def recommend(stack, text=SAD, **fields) -> recommender_pb2.RecommendResponse:
    return stack["stub"].Recommend(recommender_pb2.RecommendRequest(text=text, **fields), timeout=30)


def label(scores) -> str:
    return EMOTIONS[scores.label - 1]


def test_match_returns_five_songs_that_fit_the_feeling(stack):
    response = recommend(stack, user_id="")
    assert label(response.emotion) == "sadness"
    assert len(response.songs) == 5
    fitting = sum(label(r.song.emotions) == "sadness" for r in response.songs)
    assert fitting >= 4, [(r.song.title, label(r.song.emotions)) for r in response.songs]
    artists = [r.song.artists[0] for r in response.songs]
    assert len(set(artists)) == 5  # variety: no artist twice
    sims = [r.similarity for r in response.songs]
    assert all(s > 0.5 for s in sims)
    assert all(r.reason and r.song.highlight and r.song.title for r in response.songs)


def test_regulate_moves_step_by_step_towards_the_target(stack):
    for target, name in ((emotion_pb2.EMOTION_PEACE, "peace"), (emotion_pb2.EMOTION_JOY, "joy")):
        response = recommend(stack, mode=recommender_pb2.MODE_REGULATE, target=target, limit=5)
        assert response.mode == recommender_pb2.MODE_REGULATE and len(response.songs) == 5
        aims = [np.array(r.aim.probabilities) for r in response.songs]
        weights = [a[INDEX[name]] for a in aims]
        assert weights == sorted(weights) and weights[-1] == pytest.approx(1.0)  # the aims walk to the target
        start = np.array(response.emotion.probabilities)
        assert np.allclose(aims[0], start / start.sum(), atol=1e-5)  # and start where the listener is
        songs = [np.array(r.song.emotions.probabilities) for r in response.songs]
        assert label(response.songs[0].song.emotions) == "sadness"
        assert label(response.songs[-1].song.emotions) == name
        toward = [s[INDEX[name]] for s in songs]
        inversions = sum(b < a - 0.05 for a, b in zip(toward, toward[1:]))
        assert inversions <= 1, toward  # the path, not only its end
        assert len({r.song.song_id for r in response.songs}) == 5


def test_second_identical_request_is_served_from_cache(stack):
    text = "시험 끝나고 집에 오니까 마음이 편안하다"
    before = stack["service"].metrics()
    first = recommend(stack, text=text)
    middle = stack["service"].metrics()
    second = recommend(stack, text=text)
    after = stack["service"].metrics()
    assert not first.cached and second.cached
    assert [r.song.song_id for r in first.songs] == [r.song.song_id for r in second.songs]
    calls = "moodtune_recommender_classifier_calls_total"
    queries = "moodtune_recommender_qdrant_queries_total"
    assert metric(middle, calls) == metric(before, calls) + 1 and metric(after, calls) == metric(middle, calls)
    assert metric(middle, queries) == metric(before, queries) + 1 and metric(after, queries) == metric(middle, queries)


def test_a_new_catalog_version_is_never_answered_from_old_picks(stack):
    """User-less answers are kept in-process too; a catalog change (ingest bumps the version) drops them."""
    from services.common import catalog_version

    text = "새 카탈로그가 들어오면 다시 골라줘"
    assert not recommend(stack, text=text).cached and recommend(stack, text=text).cached
    hits = "moodtune_recommender_local_cache_hits_total"
    before = metric(stack["service"].metrics(), hits)
    port = stack["redis"].args[stack["redis"].args.index("--port") + 1]
    assert catalog_version.bump(f"redis://127.0.0.1:{port}/0") is not None
    fresh = recommend(stack, text=text)
    assert not fresh.cached and metric(stack["service"].metrics(), hits) == before
    assert recommend(stack, text=text).cached and metric(stack["service"].metrics(), hits) == before + 1


def test_feedback_changes_the_next_answer(stack):
    user = "user-feedback-test"
    first = recommend(stack, text="요즘 너무 외롭고 우울해", user_id=user)
    disliked = first.songs[0].song.song_id
    stack["stub"].SubmitFeedback(recommender_pb2.FeedbackRequest(
        user_id=user, song_id=disliked, feedback=recommender_pb2.FEEDBACK_DISLIKED), timeout=10)
    liked = first.songs[1].song.song_id
    stack["stub"].SubmitFeedback(recommender_pb2.FeedbackRequest(
        user_id=user, song_id=liked, feedback=recommender_pb2.FEEDBACK_LIKED), timeout=10)
    second = recommend(stack, text="요즘 너무 외롭고 우울해", user_id=user)
    first_ids = {r.song.song_id for r in first.songs}
    second_ids = {r.song.song_id for r in second.songs}
    assert disliked not in second_ids
    assert not first_ids & second_ids  # recently served songs are not repeated to this user
    # Another user asking the same thing is not affected by this user's taste.
    other = recommend(stack, text="요즘 너무 외롭고 우울해", user_id="someone-else")
    assert disliked in {r.song.song_id for r in other.songs}


def test_filters_narrow_the_catalog(stack):
    response = recommend(stack, limit=10, filter=recommender_pb2.RecommendFilter(
        genres=["GN0700"], year_from=1995, year_to=2015))
    assert response.songs
    for r in response.songs:
        assert "GN0700" in [g.code for g in r.song.genres] and 1995 <= r.song.year <= 2015
    excluded = response.songs[0].song.song_id
    again = recommend(stack, limit=10, filter=recommender_pb2.RecommendFilter(
        genres=["GN0700"], year_from=1995, year_to=2015, exclude_song_ids=[excluded]))
    assert excluded not in [r.song.song_id for r in again.songs]


def test_song_and_classify_text(stack):
    song = stack["stub"].GetSong(recommender_pb2.GetSongRequest(song_id=1), timeout=10)
    assert song.song_id == 1 and song.title and len(song.emotions.probabilities) == 6
    classified = stack["stub"].ClassifyText(recommender_pb2.ClassifyTextRequest(text="내일 면접이라 너무 떨려"),
                                            timeout=10)
    assert label(classified.emotion) == "tension"


@pytest.mark.parametrize(("request_fields", "code", "message"), [
    ({"text": "   "}, grpc.StatusCode.INVALID_ARGUMENT, "text is empty"),
    ({"text": "가" * 1001}, grpc.StatusCode.INVALID_ARGUMENT, "1001 characters"),
    ({"text": SAD, "limit": 51}, grpc.StatusCode.INVALID_ARGUMENT, "limit must be between 1 and 50"),
    ({"text": SAD, "mode": 7}, grpc.StatusCode.INVALID_ARGUMENT, "unknown mode"),
    ({"text": SAD, "mode": 2, "target": emotion_pb2.EMOTION_ANGER}, grpc.StatusCode.INVALID_ARGUMENT, "target must be"),
    ({"text": SAD, "filter": recommender_pb2.RecommendFilter(year_from=2020, year_to=2000)},
     grpc.StatusCode.INVALID_ARGUMENT, "year_from 2020 is after year_to 2000"),
])
def test_bad_requests_get_invalid_argument(stack, request_fields, code, message):
    with pytest.raises(grpc.RpcError) as error:
        stack["stub"].Recommend(recommender_pb2.RecommendRequest(**request_fields), timeout=10)
    assert error.value.code() == code and message in error.value.details()


def test_bad_feedback(stack):
    stub = stack["stub"]
    with pytest.raises(grpc.RpcError) as error:
        stub.SubmitFeedback(recommender_pb2.FeedbackRequest(user_id="u", song_id=999999,
                                                            feedback=recommender_pb2.FEEDBACK_LIKED), timeout=10)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as error:
        stub.SubmitFeedback(recommender_pb2.FeedbackRequest(user_id="u", song_id=1), timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as error:
        stub.SubmitFeedback(recommender_pb2.FeedbackRequest(user_id="", song_id=1,
                                                            feedback=recommender_pb2.FEEDBACK_LIKED), timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_match_songs_carry_the_sentence_emotion_on_the_demo_catalog(stack):
    """Held-out sentences of known emotion: how many of their five songs were written for that emotion."""
    sentences = split(load_project("conversation"))["test"]
    per_emotion = Counter()
    chosen = []
    for example in sentences:
        if per_emotion[example.label] < 8:
            per_emotion[example.label] += 1
            chosen.append(example)
    hits = Counter()
    totals = Counter()
    for example in chosen:
        response = recommend(stack, text=example.text)
        for r in response.songs:
            totals[example.emotion] += 1
            hits[example.emotion] += INTENDED_EMOTION[r.song.song_id] == example.emotion
    share = sum(hits.values()) / sum(totals.values())
    print(f"\nMATCH on the demo catalog: {share:.1%} of {sum(totals.values())} songs for {len(chosen)} held-out "
          "sentences were written for the sentence's emotion; per emotion: "
          + ", ".join(f"{e} {hits[e] / totals[e]:.0%}" for e in EMOTIONS))
    assert share >= 0.75


def test_redis_killed_mid_test_fails_no_request(stack):
    recommend(stack, text="비 오는 날엔 그냥 조용히 있고 싶어")
    stack["redis"].kill()
    stack["redis"].wait()
    for text in ("비 오는 날엔 그냥 조용히 있고 싶어", "새로운 문장도 괜찮을까 궁금해", "완전 신나 오늘 월급날"):
        response = recommend(stack, text=text, user_id="while-redis-is-down")
        assert len(response.songs) == 5 and not response.cached
    with pytest.raises(grpc.RpcError) as error:  # feedback is data: not dropped silently
        stack["stub"].SubmitFeedback(recommender_pb2.FeedbackRequest(
            user_id="u", song_id=1, feedback=recommender_pb2.FEEDBACK_LIKED), timeout=10)
    assert error.value.code() == grpc.StatusCode.UNAVAILABLE and "Redis" in error.value.details()
    assert metric(stack["service"].metrics(), "moodtune_redis_available") == 0

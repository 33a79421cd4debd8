"""The Recommender gRPC servicer: requests in, engine calls on worker threads, errors as status codes."""

from __future__ import annotations

import asyncio

import grpc

from moodtune.v1 import recommender_pb2, recommender_pb2_grpc
from services.common.catalog import CatalogUnavailable, Song
from services.common.labels import EMOTIONS, INDEX, from_proto_enum, to_proto_enum
from services.common.scores import scores_to_proto
from services.common.speech import SpeechRefused, SpeechUnavailable, abort_refused
from services.recommender.cache import FeedbackStoreUnavailable
from services.recommender.engine import (
    MATCH, REGULATE, ClassifierUnavailable, Filter, InvalidRequest, Recommender, Request, Result, SimilarResult,
    SongHasNoSound, SongNotFound, UpstreamTimeout,
)

_MODES = {recommender_pb2.MODE_UNSPECIFIED: MATCH, recommender_pb2.MODE_MATCH: MATCH,
          recommender_pb2.MODE_REGULATE: REGULATE}
_MODE_ENUM = {MATCH: recommender_pb2.MODE_MATCH, REGULATE: recommender_pb2.MODE_REGULATE}
_FEEDBACK = {recommender_pb2.FEEDBACK_LIKED: "liked", recommender_pb2.FEEDBACK_DISLIKED: "disliked",
             recommender_pb2.FEEDBACK_SKIPPED: "skipped"}
_STATUS = [
    (InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (SongNotFound, grpc.StatusCode.NOT_FOUND),
    (SongHasNoSound, grpc.StatusCode.FAILED_PRECONDITION),
    (UpstreamTimeout, grpc.StatusCode.DEADLINE_EXCEEDED),
    (ClassifierUnavailable, grpc.StatusCode.UNAVAILABLE),
    (CatalogUnavailable, grpc.StatusCode.UNAVAILABLE),
    (FeedbackStoreUnavailable, grpc.StatusCode.UNAVAILABLE),
]


def song_to_proto(song: Song) -> recommender_pb2.Song:
    return recommender_pb2.Song(
        song_id=song.song_id, title=song.title, artists=song.artists, album=song.album,
        year=song.issue_year or 0, genres=[recommender_pb2.Genre(code=g.code, name=g.name) for g in song.genres],
        emotions=scores_to_proto(song.probabilities), highlight=song.highlight,
        melon_song_id=song.melon_song_id or 0, source_url=song.source_url,
        signals=sorted(song.signals), audio_model_version=song.audio_model_version,
        instrumental=song.instrumental, preview=song.preview,
    )


def _pick_to_proto(c) -> recommender_pb2.Recommendation:
    return recommender_pb2.Recommendation(
        song=song_to_proto(c.song), similarity=c.similarity, reason=c.reason, matched=to_proto_enum(INDEX[c.matched]),
        aim=scores_to_proto(c.aim) if c.aim is not None else None)


def similar_to_proto(result: SimilarResult) -> recommender_pb2.SimilarSongsResponse:
    return recommender_pb2.SimilarSongsResponse(
        song=song_to_proto(result.song), songs=[_pick_to_proto(c) for c in result.songs],
        audio_model_version=result.audio_model_version, catalog_version=result.catalog_version, space=result.space)


def similar_args_from_proto(message: recommender_pb2.SimilarSongsRequest) -> tuple:
    f = message.filter
    return (message.song_id, message.limit or 5,
            Filter(tuple(f.genres), f.year_from, f.year_to, tuple(f.exclude_song_ids)), message.same_emotion)


def result_to_proto(result: Result) -> recommender_pb2.RecommendResponse:
    return recommender_pb2.RecommendResponse(
        emotion=scores_to_proto(result.emotion),
        songs=[_pick_to_proto(c) for c in result.songs],
        model_version=result.model_version, catalog_version=result.catalog_version,
        cached=result.cached, mode=_MODE_ENUM[result.mode],
    )


def request_from_proto(message: recommender_pb2.RecommendRequest) -> Request:
    if message.mode not in _MODES:
        raise InvalidRequest(f"unknown mode {message.mode}")
    target = "peace"
    if message.target:
        try:
            target = EMOTIONS[from_proto_enum(message.target)]
        except ValueError as exc:
            raise InvalidRequest(f"unknown target {message.target}") from exc
    f = message.filter
    return Request(
        text=message.text, limit=message.limit or 5, mode=_MODES[message.mode], user_id=message.user_id,
        filter=Filter(tuple(f.genres), f.year_from, f.year_to, tuple(f.exclude_song_ids)), target=target,
    )


class RecommenderServicer(recommender_pb2_grpc.RecommenderServicer):
    """Answers UNAVAILABLE until the server's warm-up attaches the engine (health is NOT_SERVING then)."""

    def __init__(self, engine: Recommender | None = None, speech=None):
        self.engine = engine
        self.speech = speech  # services.speech.client.Speech: transcribes RecommendSpeech's audio

    async def _run(self, context, method: str, *args):
        """Runs blocking engine work on a thread; maps its errors to status codes with their message."""
        if self.engine is None:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the recommender is starting; retry shortly")
        try:
            return await asyncio.to_thread(getattr(self.engine, method), *args)
        except tuple(e for e, _ in _STATUS) as exc:
            code = next(c for e, c in _STATUS if isinstance(exc, e))
            await context.abort(code, str(exc))

    async def Recommend(self, request, context):
        try:
            parsed = request_from_proto(request).validated()
        except InvalidRequest as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        if self.engine is None or parsed.user_id:
            return result_to_proto(await self._run(context, "recommend", parsed))
        # A repeated user-less request: one async Redis read on the event loop, no worker thread.
        version = await self.engine.cache.known_catalog_version_async()
        hit = self.engine.cached_answer(parsed, version)
        if hit is None:
            hit = await self._run(context, "recommend", parsed, version)
        return result_to_proto(hit)

    async def SubmitFeedback(self, request, context):
        kind = _FEEDBACK.get(request.feedback)
        if kind is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "feedback must be LIKED, DISLIKED or SKIPPED")
        await self._run(context, "feedback", request.user_id, request.song_id, kind)
        return recommender_pb2.FeedbackResponse(recorded=True)

    async def ClassifyText(self, request, context):
        text = request.text.strip()
        if not text or len(text) > 1000:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "text must be 1 to 1,000 characters after trimming")
        probabilities, version, cached = await self._run(context, "classify", text)
        return recommender_pb2.ClassifyTextResponse(emotion=scores_to_proto(probabilities), model_version=version,
                                                    cached=cached)

    async def GetSong(self, request, context):
        return song_to_proto(await self._run(context, "song", request.song_id))

    async def SimilarSongs(self, request, context):
        return similar_to_proto(await self._run(context, "similar", *similar_args_from_proto(request)))


    async def RecommendSpeech(self, request, context):
        """Transcript first (a refusal or an empty one ends here), then Recommend on its text."""
        if self.engine is None or self.speech is None:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the recommender is starting; retry shortly")
        options = recommender_pb2.RecommendRequest()
        options.CopyFrom(request.options)
        # The options are checked now, with a stand-in text, so a bad one fails before seconds of recognition.
        options.text = "-"
        try:
            request_from_proto(options)
        except InvalidRequest as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        try:
            transcript = await asyncio.to_thread(self.speech.transcribe, request.audio.audio,
                                                 request.audio.content_type)
        except SpeechRefused as exc:
            await abort_refused(context, exc)
        except SpeechUnavailable as exc:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        options.text = transcript.text
        result = await self._run(context, "recommend", request_from_proto(options))
        return recommender_pb2.RecommendSpeechResponse(
            transcript=transcript.to_proto(), recommendation=result_to_proto(result))

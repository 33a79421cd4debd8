"""The gateway's HTTP API and page.

POST /v1/recommend   songs for a sentence (match, or regulate towards peace or joy)
POST /v1/recommend/speech   the same for a spoken sentence (a recording); the answer adds its transcript
POST /v1/feedback    liked / disliked / skipped
POST /v1/classify    the six emotions of a sentence
GET  /v1/songs/{id}  one song
GET  /v1/songs/{id}/similar   songs that sound like it      GET /v1/songs/{id}/preview   its clip (Range)
GET  /healthz        the process is up          GET /readyz   the recommender answers
GET  /metrics        Prometheus                 GET /docs     the OpenAPI docs (served locally)
GET  /               the web page
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
from typing import Annotated

from fastapi import Path as PathParam
from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from moodtune.v1 import emotion_pb2, recommender_pb2, speech_pb2
from services.common.settings import GatewaySettings
from services.common.speech import Transcript, audio_message_bytes, refusal_from_metadata
from services.gateway import schemas
from services.gateway.guards import BodyLimit, RateLimit, SecurityHeaders
from services.gateway.recording import BadRecording, openapi_request_body, read_recording
from services.gateway.upstream import HTTP_STATUS, SPEECH_STATUS, Upstream
from services.recommender.client import emotions_json, response_json, similar_json, song_json

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"

HTTP_REQUESTS = Counter("moodtune_http_requests_total", "HTTP requests", ["route", "status"])
HTTP_LATENCY = Histogram("moodtune_http_request_seconds", "HTTP latency", ["route"],
                         buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
_MODES = {"match": recommender_pb2.MODE_MATCH, "regulate": recommender_pb2.MODE_REGULATE}
_TARGETS = {"peace": emotion_pb2.EMOTION_PEACE, "joy": emotion_pb2.EMOTION_JOY}
SPEECH_PATH = "/v1/recommend/speech"
_FEEDBACK = {"liked": recommender_pb2.FEEDBACK_LIKED, "disliked": recommender_pb2.FEEDBACK_DISLIKED,
             "skipped": recommender_pb2.FEEDBACK_SKIPPED}


class UpstreamError(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message


# What each error status means, for the OpenAPI document (every route lists the ones it can answer).
_ERRORS = {
    400: "malformed body (e.g. a multipart body without its closing boundary)",
    404: "no such song",
    409: "the song has no sound and is in no playlist (nothing to find songs like it by)",
    413: "body over the limit (code body_too_large), or a recording over 30 s or its byte limit (audio_too_large)",
    415: "not a recording: the Content-Type (unsupported_media_type) or the bytes (unsupported_audio)",
    422: "invalid request (invalid_request, with `detail`); for a recording also no speech heard (no_speech)",
    429: "too many requests from this client: retry after Retry-After seconds",
    502: "the recommender answered with an unexpected error",
    503: "a part behind the gateway is unavailable (the message names it)",
    504: "the recommender did not answer in time",
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds until a request is allowed", "schema": {"type": "integer"}}}


def errors(*statuses: int) -> dict:
    """OpenAPI `responses` for these error statuses, all with the ErrorOut body."""
    return {status: {"model": schemas.ErrorOut, "description": _ERRORS[status],
                     **({"headers": _RETRY_AFTER} if status == 429 else {})} for status in statuses}


UPSTREAM = (502, 503, 504)  # any route that calls the recommender
API = (429, *UPSTREAM)  # any /v1/ route
BODY = (400, 413, 422)  # any route with a JSON body


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def create_app(settings: GatewaySettings | None = None) -> FastAPIOffline:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app):
        # The gRPC channel belongs to the server's event loop, so it is made here, not at import.
        app.state.upstream = Upstream(settings.recommender_addr, settings.gateway_upstream_timeout_s,
                                      audio_message_bytes(settings), settings.grpc_tls_ca)
        yield
        await app.state.upstream.close()

    app = FastAPIOffline(title="moodtune", version="1.0",
                         description="Songs for how you feel: Korean sentence in, songs out.", lifespan=lifespan)

    async def call(method: str, message, timeout_s: float = settings.gateway_upstream_timeout_s):
        try:
            stub = app.state.upstream.stub
            return await getattr(stub, method)(message, timeout=timeout_s)
        except grpc.aio.AioRpcError as exc:
            status, code = HTTP_STATUS.get(exc.code(), (502, "upstream_error"))
            details = exc.details() or exc.code().name
            refusal = refusal_from_metadata(exc.trailing_metadata(), details)
            if refusal is not None:  # a recording refused: too large 413, unsupported 415, no speech 422
                status, code = SPEECH_STATUS[refusal.reason]
            if exc.code() == grpc.StatusCode.UNAVAILABLE and "recommender" not in details:
                details = details if "unavailable" in details else f"the recommender is unavailable ({details})"
            raise UpstreamError(status, code, details) from exc

    @app.exception_handler(UpstreamError)
    async def upstream_error(request: Request, exc: UpstreamError):
        return error(exc.status, exc.code, exc.message)

    @app.exception_handler(BadRecording)
    async def bad_recording(request: Request, exc: BadRecording):
        return error(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in exc.errors()
        )
        return JSONResponse({"error": {"code": "invalid_request", "message": problems},
                             "detail": [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):  # 404 route, 405, unreadable body
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
        response = error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))
        response.headers.update(exc.headers or {})  # 405 says which methods are allowed (Allow)
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):  # never a stack trace in a response
        log.exception("unhandled error on %s", request.url.path)
        return error(500, "internal", "internal error")

    @app.middleware("http")
    async def observe(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        name = route.path if route is not None else "unmatched"
        HTTP_LATENCY.labels(name).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(name, str(response.status_code)).inc()
        return response

    @app.post("/v1/recommend", response_model=schemas.RecommendOut, responses=errors(*BODY, *API))
    async def recommend(body: schemas.RecommendBody):
        f = body.filter
        response = await call("Recommend", recommender_pb2.RecommendRequest(
            text=body.text, limit=body.limit, mode=_MODES[body.mode], user_id=body.user_id or "",
            target=_TARGETS[body.target] if body.mode == "regulate" else 0,
            filter=recommender_pb2.RecommendFilter(genres=f.genres, year_from=f.year_from or 0,
                                                   year_to=f.year_to or 0, exclude_song_ids=f.exclude_song_ids)))
        return response_json(response)

    @app.post(SPEECH_PATH, response_model=schemas.SpeechRecommendOut,
              openapi_extra={"requestBody": openapi_request_body()},
              responses=errors(*BODY, 415, *API))
    async def recommend_speech(request: Request, options: Annotated[schemas.SpeechOptions, Query()]):
        """Songs for a spoken sentence. 413: over the byte limit or 30 s; 415: not a recording that can be
        decoded (the message says why); 422: a bad option, or no speech heard (code no_speech)."""
        recording = read_recording(request.headers.get("content-type", ""), await request.body(), options,
                                   settings.speech_max_audio_bytes)
        o = recording.options
        response = await call("RecommendSpeech", recommender_pb2.RecommendSpeechRequest(
            audio=speech_pb2.TranscribeRequest(audio=recording.audio, content_type=recording.content_type),
            options=recommender_pb2.RecommendRequest(
                limit=o.limit, mode=_MODES[o.mode], user_id=o.user_id or "",
                target=_TARGETS[o.target] if o.mode == "regulate" else 0,
                filter=recommender_pb2.RecommendFilter(genres=o.genres, year_from=o.year_from or 0,
                                                       year_to=o.year_to or 0, exclude_song_ids=o.exclude_song_ids))),
            timeout_s=settings.gateway_speech_timeout_s)
        return {**response_json(response.recommendation),
                "transcript": Transcript.from_proto(response.transcript).as_json()}

    @app.post("/v1/feedback", response_model=schemas.FeedbackOut, responses=errors(*BODY, 404, *API))
    async def feedback(body: schemas.FeedbackBody):
        response = await call("SubmitFeedback", recommender_pb2.FeedbackRequest(
            user_id=body.user_id, song_id=body.song_id, feedback=_FEEDBACK[body.feedback]))
        return {"recorded": response.recorded}

    @app.post("/v1/classify", response_model=schemas.ClassifyOut, responses=errors(*BODY, *API))
    async def classify(body: schemas.TextBody):
        response = await call("ClassifyText", recommender_pb2.ClassifyTextRequest(text=body.text))
        return {"emotion": emotions_json(response.emotion), "model_version": response.model_version,
                "cached": response.cached}

    @app.get("/v1/songs/{song_id}", response_model=schemas.SongOut, responses=errors(404, 422, *API))
    async def song(song_id: Annotated[int, PathParam(ge=1, le=schemas.MAX_SONG_ID)]):
        return song_json(await call("GetSong", recommender_pb2.GetSongRequest(song_id=song_id)))

    # --- sound (issue 14) ---
    @app.get("/v1/songs/{song_id}/similar", response_model=schemas.SimilarOut, responses=errors(404, 409, 422, *API))
    async def similar(song_id: Annotated[int, PathParam(ge=1, le=schemas.MAX_SONG_ID)],
                      options: Annotated[schemas.SimilarOptions, Query()]):
        """Songs that sound like this one. Without sound, songs found in the same playlists
        (`space` taste). 404: unknown song; 409: neither sound nor playlists; 422: a bad option."""
        o = options
        request = recommender_pb2.SimilarSongsRequest(
            song_id=song_id, limit=o.limit, same_emotion=o.same_emotion,
            filter=recommender_pb2.RecommendFilter(genres=o.genres, year_from=o.year_from or 0, year_to=o.year_to or 0))
        return similar_json(await call("SimilarSongs", request))

    @app.get("/v1/songs/{song_id}/preview", response_class=FileResponse, responses={
        200: {"description": "the song's clip (FLAC)", "content": {"audio/flac": {}}},
        206: {"description": "the part a Range header asked for", "content": {"audio/flac": {}}},
        **errors(404, 422, 429)})
    async def preview(song_id: Annotated[int, PathParam(ge=1, le=schemas.MAX_SONG_ID)]):
        clip = Path(settings.gateway_preview_dir) / f"{song_id}.flac"
        if not clip.is_file():
            return error(404, "not_found", f"song {song_id} has no preview")
        return FileResponse(clip, media_type="audio/flac")

    @app.get("/healthz", response_model=schemas.StatusOut)
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz", response_model=schemas.StatusOut, responses=errors(503))
    async def readyz():
        if await app.state.upstream.ready():
            return {"status": "ready"}
        return error(503, "not_ready", f"the recommender at {settings.recommender_addr} is not serving")

    @app.get("/metrics", response_class=Response,
             responses={200: {"description": "Prometheus text exposition format",
                              "content": {"text/plain": {"schema": {"type": "string"}}}}})
    async def metrics():
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # Outermost first: size and rate limits before any work, security headers on every answer.
    if settings.gateway_cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.gateway_cors_origins,
                           allow_methods=["GET", "POST"], allow_headers=["content-type"])
    app.add_middleware(RateLimit, per_minute=settings.gateway_rate_per_minute, burst=settings.gateway_rate_burst,
                       trust_forwarded_for=settings.gateway_trust_forwarded_for)
    app.add_middleware(BodyLimit, max_bytes=settings.gateway_max_body_bytes,
                       per_path={SPEECH_PATH: settings.gateway_max_speech_body_bytes})
    app.add_middleware(SecurityHeaders)
    return app

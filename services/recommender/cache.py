"""Redis: caches and per-user feedback (docs/architecture.md, "Redis"). Keys are namespaced mt:v1:.

mt:v1:cls:<model version>:<sha1 of the normalised text>    a sentence's six probabilities
mt:v1:pool:<catalog version>:<sha1 of the request>         the candidate songs Qdrant returned
mt:v1:user:<user>:liked    hash  song id -> its emotion vector (pulls the query towards it)
mt:v1:user:<user>:dislikes hash  song id -> its emotion vector (pushes the query away; never served)
mt:v1:user:<user>:skipped  set   song ids (recorded; not used in ranking yet)
mt:v1:user:<user>:liked-audio:<audio model version>     hash  song id -> its `audio` embedding (issue 14)
mt:v1:user:<user>:dislikes-audio:<audio model version>  hash  the same for dislikes; an embedding is only
                           comparable with those of the same audio model, hence the version in the key
mt:v1:user:<user>:recent   list  song ids served lately (newest first)
<user> is the first 24 hex digits of the user id's sha1: no user id is stored in clear.
(Before this layout dislikes were a set `:disliked` without vectors; such keys are ignored.)

Redis down never fails a recommendation: reads miss and writes are dropped, a metric and a
log line say so, and after a failure Redis is left alone for `retry_after_s` (so a dead server
costs one timeout, not one per call). Feedback is different: it is data, so writing it raises.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import unicodedata
from collections.abc import Callable
from typing import TypeVar

import redis
from prometheus_client import Counter, Gauge

log = logging.getLogger(__name__)
T = TypeVar("T")

NS = "mt:v1:"
REDIS_ERRORS = Counter("moodtune_redis_errors_total", "Redis operations that failed")
REDIS_UP = Gauge("moodtune_redis_available", "1 while Redis answers, 0 while it is skipped")
CACHE = Counter("moodtune_cache_requests_total", "cache lookups", ["kind", "result"])


class FeedbackStoreUnavailable(RuntimeError):
    """Feedback could not be written; the caller should retry."""


def normalise_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def digest(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8")).hexdigest()


class Cache:
    def __init__(self, url: str, *, classification_ttl_s: int = 7 * 86400, pool_ttl_s: int = 3600,
                 recent_size: int = 30, user_ttl_s: int = 30 * 86400, retry_after_s: float = 2.0,
                 password: str | None = None):
        self.client = redis.Redis.from_url(url, password=password, socket_timeout=0.25,
                                           socket_connect_timeout=0.25, health_check_interval=10)
        self._url, self._password = url, password
        self._async_client = None  # made on first use, on the server's event loop
        self.classification_ttl_s = classification_ttl_s
        self.pool_ttl_s = pool_ttl_s
        self.recent_size = recent_size
        self.user_ttl_s = user_ttl_s
        self.retry_after_s = retry_after_s
        self._down_until = 0.0
        self._lock = threading.Lock()
        REDIS_UP.set(1)

    # --- the degrade-gracefully wrapper ------------------------------------------------------

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _try(self, operation: Callable[[], T], default: T) -> T:
        if not self.available:
            return default
        try:
            result = operation()
        except redis.RedisError as exc:
            self._failed(exc)
            return default
        REDIS_UP.set(1)
        return result

    def _failed(self, exc: Exception) -> None:
        REDIS_ERRORS.inc()
        with self._lock:
            if self.available:  # log once per outage window, not per call
                log.warning("Redis unavailable, serving uncached for %.0fs: %s", self.retry_after_s, exc)
            self._down_until = time.monotonic() + self.retry_after_s
        REDIS_UP.set(0)

    # --- caches ------------------------------------------------------------------------------

    def catalog_version(self) -> str:
        return self.known_catalog_version() or "0"

    def known_catalog_version(self) -> str | None:
        """The catalog version, or None when Redis did not answer (then nothing may be cached by it)."""
        from services.common.catalog_version import KEY

        value = self._try(lambda: self.client.get(KEY) or b"0", None)
        return value.decode() if value is not None else None

    async def known_catalog_version_async(self) -> str | None:
        """The same read without leaving the event loop: the gRPC servicer answers repeated
        requests from the in-process cache with no hop to a worker thread."""
        import redis.asyncio

        from services.common.catalog_version import KEY

        if not self.available:
            return None
        if self._async_client is None:
            self._async_client = redis.asyncio.Redis.from_url(
                self._url, password=self._password, socket_timeout=0.25, socket_connect_timeout=0.25)
        try:
            value = await self._async_client.get(KEY)
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
            return None
        REDIS_UP.set(1)
        return (value or b"0").decode()

    def get_classification(self, model_version: str, text: str) -> list[float] | None:
        key = f"{NS}cls:{model_version}:{digest(normalise_text(text))}"
        raw = self._try(lambda: self.client.get(key), None)
        CACHE.labels("classification", "hit" if raw else "miss").inc()
        return json.loads(raw) if raw else None

    def set_classification(self, model_version: str, text: str, probabilities: list[float]) -> None:
        key = f"{NS}cls:{model_version}:{digest(normalise_text(text))}"
        self._try(lambda: self.client.set(key, json.dumps(probabilities), ex=self.classification_ttl_s), None)

    def get_pool(self, catalog_version: str, request_key: str):
        key = f"{NS}pool:{catalog_version}:{digest(request_key)}"
        raw = self._try(lambda: self.client.get(key), None)
        CACHE.labels("pool", "hit" if raw else "miss").inc()
        return json.loads(raw) if raw else None

    def set_pool(self, catalog_version: str, request_key: str, pool) -> None:
        key = f"{NS}pool:{catalog_version}:{digest(request_key)}"
        self._try(lambda: self.client.set(key, json.dumps(pool, ensure_ascii=False), ex=self.pool_ttl_s), None)

    # --- users -------------------------------------------------------------------------------

    def _user(self, user_id: str, part: str) -> str:
        return f"{NS}user:{digest(user_id)[:24]}:{part}"

    def user_state(self, user_id: str) -> tuple[dict[int, list[float]], dict[int, list[float]], list[int]]:
        """(liked song -> vector, disliked song -> vector, recently served songs). Disliked songs keep
        their vectors because they push the query away even when they are no longer in any pool."""
        def read():
            pipe = self.client.pipeline()
            pipe.hgetall(self._user(user_id, "liked"))
            pipe.hgetall(self._user(user_id, "dislikes"))
            pipe.lrange(self._user(user_id, "recent"), 0, self.recent_size - 1)
            return pipe.execute()

        liked, disliked, recent = self._try(read, ({}, {}, []))
        vectors = lambda stored: {int(k): json.loads(v) for k, v in stored.items()}  # noqa: E731
        return vectors(liked), vectors(disliked), [int(s) for s in recent]

    def record_feedback(self, user_id: str, song_id: int, kind: str, vector: list[float],
                        audio: list[float] | None = None, audio_version: str = "") -> None:
        """liked / disliked / skipped. Raises FeedbackStoreUnavailable: feedback is never dropped silently.

        `audio`: the song's sound embedding (songs with sound), kept under its audio model's version."""
        liked, disliked, skipped = (self._user(user_id, p) for p in ("liked", "dislikes", "skipped"))
        keys = [liked, disliked, skipped]
        pipe = self.client.pipeline(transaction=True)
        if audio and audio_version and kind != "skipped":
            liked_audio, disliked_audio = self._audio_keys(user_id, audio_version)
            keys += [liked_audio, disliked_audio]
            into, out_of = (liked_audio, disliked_audio) if kind == "liked" else (disliked_audio, liked_audio)
            pipe.hset(into, str(song_id), json.dumps(audio))
            pipe.hdel(out_of, str(song_id))
        if kind == "liked":
            pipe.hset(liked, str(song_id), json.dumps(vector))
            pipe.hdel(disliked, str(song_id))
        elif kind == "disliked":
            pipe.hset(disliked, str(song_id), json.dumps(vector))
            pipe.hdel(liked, str(song_id))
        else:
            pipe.sadd(skipped, song_id)
        for key in keys:
            pipe.expire(key, self.user_ttl_s)
        try:
            pipe.execute()
        except redis.RedisError as exc:
            REDIS_ERRORS.inc()
            raise FeedbackStoreUnavailable(f"the feedback store (Redis) is unavailable: {exc}") from exc

    def _audio_keys(self, user_id: str, audio_version: str) -> tuple[str, str]:
        return (self._user(user_id, f"liked-audio:{audio_version}"),
                self._user(user_id, f"dislikes-audio:{audio_version}"))

    def user_audio(self, user_id: str, audio_version: str) -> tuple[list[list[float]], list[list[float]]]:
        """(liked, disliked) sound embeddings made by this audio model; empty when Redis is down."""
        def read():
            pipe = self.client.pipeline()
            for key in self._audio_keys(user_id, audio_version):
                pipe.hvals(key)
            return pipe.execute()

        liked, disliked = self._try(read, ([], []))
        return [json.loads(v) for v in liked], [json.loads(v) for v in disliked]

    def add_recent(self, user_id: str, song_ids: list[int]) -> None:
        key = self._user(user_id, "recent")

        def write():
            pipe = self.client.pipeline()
            pipe.lpush(key, *song_ids)
            pipe.ltrim(key, 0, self.recent_size - 1)
            pipe.expire(key, self.user_ttl_s)
            return pipe.execute()

        if song_ids:
            self._try(write, None)

"""The catalog version in Redis (DESIGN.md, "Redis"): ingest bumps it after every write, and
the recommender keys its cached lists by it, so no stale list outlives a catalog change."""

from __future__ import annotations

import logging

import redis

log = logging.getLogger(__name__)

KEY = "mt:v1:catalog:version"


def bump(redis_url: str, password: str | None = None) -> int | None:
    """The new version, or None when Redis is unreachable (logged: cached lists then expire by TTL)."""
    try:
        client = redis.Redis.from_url(redis_url, password=password, socket_timeout=2, socket_connect_timeout=2)
        return int(client.incr(KEY))
    except redis.RedisError as exc:
        log.warning("could not bump the catalog version in Redis: %s", exc)
        return None


def read(redis_url: str, password: str | None = None) -> int | None:
    """The current version (0 before the first ingest), or None when Redis is unreachable."""
    try:
        client = redis.Redis.from_url(redis_url, password=password, socket_timeout=2, socket_connect_timeout=2)
        value = client.get(KEY)
    except redis.RedisError:
        return None
    return int(value) if value else 0

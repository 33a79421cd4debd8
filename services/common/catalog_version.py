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

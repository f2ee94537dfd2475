"""Tests that need a real Redis server: CI has one (as every machine here does); elsewhere they are skipped."""

import os

import pytest

# Database 7 is the cache tests' alone (5 and 6 are the worker tests' broker and results): they flush it.
CACHE_URL = os.environ.get("PORTAL_TEST_REDIS_CACHE", "redis://127.0.0.1:6379/7")


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def requires_redis(url: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not redis_reachable(url), reason=f"Redis is not reachable at {url}.")

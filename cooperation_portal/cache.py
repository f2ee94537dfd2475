"""Django's Redis cache, with one Redis client per connection pool instead of one per cache operation.

Django's RedisCacheClient.get_client builds a new redis.Redis object for every get, set, add or delete; redis-py's
constructor fills a table of about 170 response callbacks each time (about 0.3 ms and 400 Python calls on this
machine, for an object that holds no state of its own but the pool). A client is safe to share between threads
(redis-py takes a connection from the pool for each command and gives it back), and Django already keeps one cache
object per thread, so each keeps its clients for as long as it keeps its pools. The values stored, the keys and the
servers are Django's own: entries written by either backend read the same.
"""

from typing import Any

from django.core.cache.backends import redis as django_redis
from django.core.cache.backends.base import BaseCache

# Deletes KEYS[1] only while it still holds ARGV[1], in one step on the server.
_DELETE_IF_HELD = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    # Django's private helpers, as in 5.2 (requirements/base.txt keeps Django below 5.3; tests/test_cache.py checks).
    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        # Pools are kept for the life of this object (Django never drops one), so their ids are never reused.
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient


def delete_if_held(cache: BaseCache, key: str, value: int) -> bool:
    """Delete `key` only if it still holds `value` (an int, which Django's Redis cache stores as its digits): a lock
    released by its holder only, never by one whose lock expired and was taken by another meanwhile.

    Atomic on Redis (a script); on the other caches, which hold one process's entries (tests, development), a read
    then a delete. Returns whether it deleted."""
    if isinstance(cache, django_redis.RedisCache):
        full_key = cache.make_and_validate_key(key)
        return bool(cache._cache.get_client(full_key, write=True).eval(_DELETE_IF_HELD, 1, full_key, str(value)))
    if cache.get(key) == value:
        return bool(cache.delete(key))
    return False

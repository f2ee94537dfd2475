"""The Redis cache backend (cooperation_portal/cache.py) on a real Redis server: Django's behaviour and stored
format, with one Redis client per pool instead of one per operation."""

import threading
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from cooperation_portal.cache import RedisCache, delete_if_held
from tests.redis_support import CACHE_URL, requires_redis

pytestmark = requires_redis(CACHE_URL)


@pytest.fixture
def redis_caches(settings) -> Any:
    """Ours as the default cache, Django's own on the same server as "django"."""
    settings.CACHES = {
        "default": {"BACKEND": "cooperation_portal.cache.RedisCache", "LOCATION": CACHE_URL},
        "django": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL},
    }
    caches["default"].clear()
    yield caches["default"], caches["django"]
    caches["default"].clear()


def test_one_client_serves_every_operation(redis_caches):
    ours, _ = redis_caches
    assert isinstance(ours, RedisCache)
    client = ours._cache.get_client()
    assert ours.add("a", 1) is True
    assert ours.add("a", 2) is False
    assert ours.incr("a", 5) == 6
    ours.set("b", {"nested": [1, "two"]}, timeout=60)
    assert ours.get_many(["a", "b", "missing"]) == {"a": 6, "b": {"nested": [1, "two"]}}
    assert ours.delete("a") is True
    assert ours.get("a", "gone") == "gone"
    assert ours._cache.get_client(write=True) is client
    assert ours._cache.get_client() is client
    # Django's own backend builds a new client per operation; ours keeps the one made for its pool.
    _, django = redis_caches
    assert django._cache.get_client() is not django._cache.get_client()


def test_entries_read_the_same_through_django_backend(redis_caches):
    ours, django = redis_caches
    assert type(django) is DjangoRedisCache
    ours.set("written-by-ours", {"figure": 1.5}, timeout=60)
    django.set("written-by-django", [1, 2, 3], timeout=60)
    django.set("counter", 41, timeout=60)
    assert django.get("written-by-ours") == {"figure": 1.5}
    assert ours.get("written-by-django") == [1, 2, 3]
    assert ours.incr("counter") == 42
    assert django.get("counter") == 42


def test_threads_share_nothing_but_the_server(redis_caches):
    """Django keeps one cache object per thread; each has its own client, and concurrent increments all count."""
    ours, _ = redis_caches
    ours.set("hits", 0, timeout=60)
    clients: list[Any] = []
    start = threading.Barrier(8)

    def work() -> None:
        cache = caches["default"]
        assert isinstance(cache, RedisCache)
        clients.append(cache._cache.get_client())
        start.wait()
        for _ in range(50):
            cache.incr("hits")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ours.get("hits") == 400
    assert len({id(client) for client in clients}) == 8


def test_a_lock_is_deleted_by_its_holder_only(redis_caches):
    """delete_if_held compares and deletes in one script on the server; the value is matched as Django stores an
    int (its digits), so a lock taken with add() through either backend is released by the same value only."""
    ours, django = redis_caches
    assert django.add("lock", 7_000_000_001, 30)
    assert delete_if_held(ours, "lock", 7_000_000_002) is False
    assert ours.get("lock") == 7_000_000_001
    assert delete_if_held(ours, "lock", 7_000_000_001) is True
    assert django.get("lock") is None
    assert delete_if_held(ours, "lock", 7_000_000_001) is False

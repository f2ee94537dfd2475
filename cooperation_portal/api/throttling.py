"""The per-user API rate limit, counted in constant time whatever the rate.

DRF's SimpleRateThrottle keeps a list of the timestamps of every request in the last period, reads it from the
cache, edits it and writes it back on each call. At the portal's rate (thousands a minute, for national systems
that synchronise) that is a list of thousands of floats unpickled and pickled on every call, and two concurrent
calls that read the same list both write it back with one entry each, so one of them is never counted.

This throttle keeps two counters per user instead, the current fixed window and the one before, and weighs the
previous one by the part of it that still lies within one period of now (the "sliding window counter"). A call is
counted by an atomic increment, so concurrent calls are all counted; the estimate is exact when calls are evenly
spread over the previous window and errs by at most that window's unevenness otherwise.
"""

import math
from typing import TYPE_CHECKING

from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views is loading: no runtime import of it
    from rest_framework.request import Request
    from rest_framework.views import APIView


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's per-user throttle (scope "user", same rates and cache keys per user), counted by window."""

    num_requests: int
    duration: int
    current: int
    previous: int
    elapsed: float

    @property
    def cache(self) -> BaseCache:  # type: ignore[override]
        """The default cache itself (DRF's is a proxy to it, which would hide that it is Redis)."""
        return caches[DEFAULT_CACHE_ALIAS]

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        current_key, previous_key = f"{self.key}:{window}", f"{self.key}:{window - 1}"
        self.elapsed = self.now - window * self.duration
        # Counted first, so that concurrent calls each see the others; a refused call is uncounted again.
        counted, self.previous = self._count(current_key, previous_key)
        self.current = counted - 1
        if self.previous * (1 - self.elapsed / self.duration) + self.current >= self.num_requests:
            self.cache.decr(current_key)
            return self.throttle_failure()
        return True

    def _count(self, current_key: str, previous_key: str) -> tuple[int, int]:
        """Adds this call to the current window's counter, which lives for two windows (as the current one, then
        as the previous one). Returns that counter, this call included, and the previous window's."""
        timeout = 2 * self.duration
        cache = self.cache
        if isinstance(cache, RedisCache):
            # One round trip instead of the four of add/incr/get (Django's incr first checks that the key exists).
            # Counters are stored as plain integers, as Django's Redis cache stores any int, so get() reads them.
            current, previous = (cache.make_and_validate_key(key) for key in (current_key, previous_key))
            with cache._cache.get_client(write=True).pipeline(transaction=False) as pipe:
                pipe.incr(current)
                pipe.expire(current, timeout)
                pipe.get(previous)
                counted, _expiry_set, previous_count = pipe.execute()
            return int(counted), int(previous_count or 0)
        if cache.add(current_key, 1, timeout=timeout):
            counted = 1
        else:
            try:
                counted = cache.incr(current_key)
            except ValueError:  # expired between add and incr, only possible at the very end of its life
                cache.add(current_key, 1, timeout=timeout)
                counted = 1
        return counted, int(cache.get(previous_key, 0))

    def wait(self) -> float | None:
        """Seconds until a call would be allowed again, for the Retry-After header."""
        to_next_window = self.duration - self.elapsed
        if self.current >= self.num_requests:
            # Allowed again once the weight of this window, when it becomes the previous one, has dropped enough.
            return to_next_window + self.duration * (1 - self.num_requests / self.current)
        if self.previous == 0:
            return to_next_window
        # previous * (1 - t / duration) + current < num_requests, solved for the elapsed time t.
        needed = self.duration * (1 - (self.num_requests - self.current) / self.previous)
        return max(0.0, math.ceil((needed - self.elapsed) * 1000) / 1000)

"""The per-user rate limit counted by window (cooperation_portal/api/throttling.py), on the configured cache: every
call counted, even concurrent ones, and the previous window weighed by how much of it is still within the period."""

import sys
import threading
from typing import Any

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from cooperation_portal.api.throttling import UserRateThrottle
from tests.redis_support import CACHE_URL, requires_redis

pytestmark = pytest.mark.django_db
VIEW = APIView()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def throttle_for(rate: str, clock: Clock | None = None) -> UserRateThrottle:
    throttle = UserRateThrottle()
    throttle.rate = rate
    num_requests, duration = throttle.parse_rate(rate)
    assert num_requests is not None and duration is not None
    throttle.num_requests, throttle.duration = num_requests, duration
    if clock is not None:
        throttle.timer = clock  # type: ignore[assignment,method-assign]
    return throttle


def request_of(user: Any) -> Any:
    request = APIRequestFactory().get("/api/v1/requests/")
    request.user = user
    return request


@pytest.fixture(
    autouse=True,
    params=[
        pytest.param("locmem", id="locmem"),
        # The Redis branch counts in one pipeline of its own (and is what production runs): tested on a real server.
        pytest.param("redis", id="redis", marks=requires_redis(CACHE_URL)),
    ],
)
def empty_cache(request, settings):
    if request.param == "redis":
        settings.CACHES = {"default": {"BACKEND": "cooperation_portal.cache.RedisCache", "LOCATION": CACHE_URL}}
        assert isinstance(caches["default"], RedisCache)
    cache.clear()
    yield
    cache.clear()


def test_the_previous_window_counts_for_the_part_still_within_the_period(registry_user):
    """10 a minute, all 10 spent late in one window: 5 s into the next, 55/60 of them still count (9.2), so one
    more call passes and the next is refused until the old window's weight has fallen far enough (1 s later)."""
    clock = Clock(10 * 60 + 50.0)
    request = request_of(registry_user)
    assert all(throttle_for("10/minute", clock).allow_request(request, VIEW) for _ in range(10))
    refused = throttle_for("10/minute", clock)
    assert refused.allow_request(request, VIEW) is False
    assert refused.wait() == pytest.approx(10.0)  # to the next window, where the 10 must decay below 10
    clock.now = 11 * 60 + 5.0
    assert throttle_for("10/minute", clock).allow_request(request, VIEW) is True
    refused = throttle_for("10/minute", clock)
    assert refused.allow_request(request, VIEW) is False
    assert refused.wait() == pytest.approx(1.0)
    clock.now = 11 * 60 + 6.5
    assert throttle_for("10/minute", clock).allow_request(request, VIEW) is True


def test_a_full_current_window_waits_for_the_next_and_its_decay(registry_user):
    clock = Clock(20 * 60 + 30.0)
    request = request_of(registry_user)
    assert [throttle_for("4/minute", clock).allow_request(request, VIEW) for _ in range(5)] == [True] * 4 + [False]
    refused = throttle_for("4/minute", clock)
    assert refused.allow_request(request, VIEW) is False
    # 30 s to the next window; there 4 x (1 - t/60) + 0 < 4 needs t > 0.
    assert refused.wait() == pytest.approx(30.0)
    clock.now = 21 * 60 + 0.5
    assert throttle_for("4/minute", clock).allow_request(request, VIEW) is True


def test_concurrent_calls_are_all_counted(registry_user):
    """Eight threads, 50 calls each: 400 counted, so the 401st call of a 400-a-minute user is refused. DRF's own
    throttle reads, edits and writes back a list, and concurrent calls lose each other's entries."""
    clock = Clock(30 * 60 + 1.0)
    request = request_of(registry_user)
    start = threading.Barrier(8)
    answers: list[bool] = []

    def calls() -> None:
        start.wait()
        answers.extend(throttle_for("400/minute", clock).allow_request(request, VIEW) for _ in range(50))

    threads = [threading.Thread(target=calls) for _ in range(8)]
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads interleave between the cache calls, as concurrent web workers do
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)
    assert answers.count(True) == 400
    assert throttle_for("400/minute", clock).allow_request(request, VIEW) is False


def test_users_are_counted_apart(registry_user, facilitator):
    clock = Clock(40 * 60 + 1.0)
    assert throttle_for("1/minute", clock).allow_request(request_of(registry_user), VIEW) is True
    assert throttle_for("1/minute", clock).allow_request(request_of(registry_user), VIEW) is False
    assert throttle_for("1/minute", clock).allow_request(request_of(facilitator), VIEW) is True

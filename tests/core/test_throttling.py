"""The API's rate limits (core.throttling): the rate held over a sliding window, a refused request not counted,
the count atomic under concurrent requests; on the local-memory cache and, with REDIS_URL, on real Redis."""

import os
import threading
import uuid
from types import SimpleNamespace

import pytest
from django.core.cache.backends.locmem import LocMemCache

from core.cache import RedisCache
from core.throttling import ScopedRateThrottle, UserRateThrottle, sliding_estimate

REDIS_URL = os.environ.get("REDIS_URL")


def make_cache(kind: str) -> object:
    if kind == "redis":
        if not REDIS_URL:
            pytest.skip("needs REDIS_URL")
        return RedisCache(REDIS_URL, {"KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}"})
    return LocMemCache(f"throttle-test-{uuid.uuid4().hex}", {})


def throttle(cache: object, rate: str, clock: list[float]) -> UserRateThrottle:
    one = UserRateThrottle()
    one.cache = cache
    one.rate = rate
    one.num_requests, one.duration = one.parse_rate(rate)
    one.timer = lambda: clock[0]
    return one


def request(user_pk: int = 7) -> SimpleNamespace:
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=user_pk), META={"REMOTE_ADDR": "127.0.0.1"})


def test_sliding_estimate_weighs_the_previous_window_by_what_still_falls_inside():
    assert sliding_estimate(current=2, previous=10, elapsed=0.0, duration=60) == 12
    assert sliding_estimate(current=2, previous=10, elapsed=30.0, duration=60) == 7
    assert sliding_estimate(current=2, previous=10, elapsed=60.0, duration=60) == 2


@pytest.mark.parametrize("kind", ["locmem", "redis"])
def test_the_rate_holds_and_a_refused_request_is_not_counted(kind):
    cache, clock = make_cache(kind), [6000.0]  # the start of a 60-second window
    limiter = throttle(cache, "3/min", clock)

    assert [limiter.allow_request(request(), None) for _ in range(3)] == [True, True, True]
    assert limiter.allow_request(request(), None) is False
    assert limiter.wait() == 60.0
    assert limiter.allow_request(request(), None) is False
    # Another user has a count of its own.
    assert limiter.allow_request(request(user_pk=8), None) is True

    # Ninety seconds on, half-way through the next window, the three still weigh 1.5: one more passes (2.5),
    # the next is refused (3.5).
    clock[0] = 6090.0
    assert limiter.allow_request(request(), None) is True
    assert limiter.allow_request(request(), None) is False
    # Two windows on, nothing of the burst is left.
    clock[0] = 6240.0
    assert [limiter.allow_request(request(), None) for _ in range(3)] == [True, True, True]


@pytest.mark.parametrize("kind", ["locmem", "redis"])
def test_concurrent_requests_never_pass_more_than_the_rate(kind):
    cache, clock = make_cache(kind), [6000.0]
    passed, barrier, lock = [], threading.Barrier(20), threading.Lock()

    def client() -> None:
        limiter = throttle(cache, "10/min", clock)
        barrier.wait()
        allowed = limiter.allow_request(request(), None)
        with lock:
            passed.append(allowed)

    threads = [threading.Thread(target=client) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert passed.count(True) == 10


def test_a_scoped_throttle_counts_only_views_with_a_scope():
    cache, clock = make_cache("locmem"), [6000.0]
    limiter = ScopedRateThrottle()
    limiter.cache = cache
    limiter.timer = lambda: clock[0]
    limiter.THROTTLE_RATES = {"objection": "1/hour"}
    scoped, plain = SimpleNamespace(throttle_scope="objection"), SimpleNamespace()

    assert limiter.allow_request(request(), scoped) is True
    assert limiter.allow_request(request(), scoped) is False
    assert limiter.allow_request(request(), plain) is True

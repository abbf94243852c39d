"""API rate limits as counters: the same rates as DRF's throttles, at one cache round trip a request.

DRF's ``SimpleRateThrottle`` keeps each client's request times as a list in the cache: every request reads the
list, trims it and writes it back (two round trips and a pickled list of up to 600 floats for the "user" rate),
and two concurrent requests can both read the list before either writes, so both pass. Here each client has a
counter per window of the rate's duration, incremented atomically; the limit is held over a sliding window,
estimated from the current and the previous window's counts (the previous one weighted by how much of it still
falls inside the last ``duration`` seconds). A refused request is not counted, as in DRF. On Redis the increment,
its expiry and the read of the previous window go in one pipelined round trip; on other caches (the embedded
demo's local memory) through the cache API.

Rates, scopes and cache keys are DRF's (``DEFAULT_THROTTLE_RATES``, ``throttle_scope``), so the settings and the
views name them as before.
"""

import contextlib
from typing import Any

from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling


def sliding_estimate(current: int, previous: int, elapsed: float, duration: float) -> float:
    """Requests in the last ``duration`` seconds, estimated from this window's count and the previous one's."""
    return previous * max(duration - elapsed, 0.0) / duration + current


class CountingThrottleMixin:
    """``allow_request`` of a ``SimpleRateThrottle`` with a windowed counter in place of the request history."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        duration = self.duration
        window = int(now // duration)
        current_key, previous_key = f"{self.key}:{window}", f"{self.key}:{window - 1}"
        current, previous = self._count(current_key, previous_key, ttl=2 * duration)
        elapsed = now - window * duration
        if sliding_estimate(current, previous, elapsed, duration) <= self.num_requests:
            return True
        self._uncount(current_key)
        self._wait = max(duration - elapsed, 1.0)
        return False

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)

    def _count(self, current_key: str, previous_key: str, ttl: int) -> tuple[int, int]:
        cache = self.cache
        if isinstance(cache, RedisCache):
            raw_current = cache.make_and_validate_key(current_key)
            client = cache._cache.get_client(raw_current, write=True)
            pipe = client.pipeline(transaction=False)
            pipe.incr(raw_current)
            pipe.expire(raw_current, ttl)
            pipe.get(cache.make_and_validate_key(previous_key))
            current, _expiry, previous = pipe.execute()
            return int(current), int(previous or 0)
        if cache.add(current_key, 1, timeout=ttl):
            current = 1
        else:
            try:
                current = cache.incr(current_key)
            except ValueError:  # expired between add and incr
                cache.add(current_key, 1, timeout=ttl)
                current = 1
        return current, int(cache.get(previous_key) or 0)

    def _uncount(self, current_key: str) -> None:
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
            self.cache.decr(current_key)


class AnonRateThrottle(CountingThrottleMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by address (the "anon" rate)."""


class UserRateThrottle(CountingThrottleMixin, throttling.UserRateThrottle):
    """Signed-in users, by user (the "user" rate)."""


class ScopedRateThrottle(CountingThrottleMixin, throttling.ScopedRateThrottle):
    """Views with a ``throttle_scope`` (login tokens, objections), by user or address."""

    def allow_request(self, request: Any, view: Any) -> bool:
        # DRF's scoped throttle takes its rate from the view here, then counts (the counting is the mixin's).
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

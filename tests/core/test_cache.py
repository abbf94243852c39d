"""The Redis cache of deployment (core.cache): Django's, with one Redis client per pool shared by the threads."""

import os
import threading
import uuid

import pytest

from core.cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL")


def make_cache() -> RedisCache:
    return RedisCache(REDIS_URL, {"KEY_PREFIX": f"cache-test-{uuid.uuid4().hex}"})


def test_it_is_django_s_cache_with_one_client():
    cache = make_cache()
    assert cache._cache.get_client("a") is cache._cache.get_client("b", write=True)
    cache.set("answer", {"amount": "50000.00"}, timeout=30)
    assert cache.get("answer") == {"amount": "50000.00"}
    assert cache.add("answer", "other", timeout=30) is False
    assert cache.get_many(["answer", "missing"]) == {"answer": {"amount": "50000.00"}}
    cache.set("count", 1, timeout=30)
    assert cache.incr("count") == 2
    cache.delete("answer")
    assert cache.get("answer") is None


def test_threads_share_the_client_and_lose_no_increment():
    cache = make_cache()
    cache.set("count", 0, timeout=30)
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        for _ in range(50):
            cache.incr("count")

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("count") == 800

"""Django's Redis cache with one Redis client per connection pool, shared by the threads of a process.

Django's ``RedisCacheClient.get_client`` makes a new ``redis.Redis`` object for every cache call; building one
(its options, its response callbacks) cost more of a deadline-day request's CPU than the Redis commands it sent.
A ``redis.Redis`` object holds no connection of its own (it takes one from the pool for each command), and
redis-py documents it as safe to share between threads, so one per pool is kept and reused.
"""

from typing import Any

from django.core.cache.backends import redis as django_redis


class SharedClientRedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

"""The Redis cache shares one client per connection pool across calls."""

from typing import Any

import pytest
from django.core.cache import cache, caches

from nps_site.cache import RedisCache

pytestmark = pytest.mark.redis


def test_it_hands_out_the_same_client_for_every_call() -> None:
    backend: Any = caches["default"]
    assert isinstance(backend, RedisCache)
    first = backend._cache.get_client("a", write=True)
    assert backend._cache.get_client("b") is first
    assert backend._cache.get_client("c", write=True) is first


def test_it_reads_what_it_wrote_through_the_shared_client() -> None:
    cache.set("shared-client", {"n": 1}, 30)
    assert cache.get("shared-client") == {"n": 1}
    assert cache.add("counter", 1, 30)
    assert cache.incr("counter") == 2
    cache.delete("shared-client")
    assert cache.get("shared-client") is None


def test_it_keeps_one_client_per_server_of_a_replicated_cache() -> None:
    backend = RedisCache("redis://127.0.0.1:6379/0,redis://127.0.0.1:6379/1", {})
    written = backend._cache.get_client(write=True)
    read = backend._cache.get_client()  # the read replica (the second server)
    assert written is not read
    assert backend._cache.get_client(write=True) is written
    assert backend._cache.get_client() is read
    assert written.connection_pool is not read.connection_pool

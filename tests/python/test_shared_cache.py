"""The shared cache on Redis from Python (shared_cache.h): commerce.SharedCache(engine, ...) reads
products through a private redis-server, reads its own writes, keeps answering when Redis is
killed (the breaker opens, commerce.all_endpoint_stats() shows it), serves the engine's
searches from Redis until the index moves on, and its options are checked."""

import time

import pytest

import commerce
from conftest import open_engine
from private_server import PrivateServer, redis_argv


@pytest.fixture
def redis():
    with PrivateServer(redis_argv) as r:
        r.url = "redis://127.0.0.1:%d" % r.port
        yield r


def _product(pid, title):
    return commerce.Product(id=pid, title=title, brand="Acme",
                            variants=[{"sku": "SKU-" + pid, "price": {"minor": 500, "currency": "USD"}}])


def test_reads_through_redis_and_reads_its_own_writes(tmp_path, redis):
    with open_engine(tmp_path / "s") as e, \
            commerce.SharedCache(e, redis_url=redis.url, key_prefix="py:") as cache:
        e.catalog.upsert(_product("p1", "one"))
        assert cache.get_product("p1").title == "one"
        assert cache.get_product("p1") == e.catalog.get("p1")
        stats = cache.stats()
        assert stats.fills == 1 and stats.hits == 1
        cache.written(e.catalog.upsert(_product("p1", "two")))
        assert cache.get_product("p1").title == "two"
        assert cache.get_product("p1").version == 2
        with pytest.raises(commerce.NotFound):
            cache.get_product("absent")
        names = [s.name for s in commerce.all_endpoint_stats()]
        assert "redis 127.0.0.1:%d" % redis.port in names
    with pytest.raises(commerce.FailedPrecondition):
        cache.get_product("p1")


def test_redis_killed_reads_go_to_the_store(tmp_path, redis):
    endpoint = {"deadline": 0.05, "breaker": {"failure_threshold": 3, "open_for": 0.5}}
    with open_engine(tmp_path / "s") as e, \
            commerce.SharedCache(e, redis_url=redis.url, key_prefix="py2:", endpoint=endpoint) as cache:
        for i in range(5):
            e.catalog.upsert(_product("p%d" % i, "t%d" % i))
        redis.kill()
        start = time.monotonic()
        for n in range(50):
            assert cache.get_product("p%d" % (n % 5)).title == "t%d" % (n % 5)
        assert time.monotonic() - start < 5
        name = "redis 127.0.0.1:%d" % redis.port
        state = [s for s in commerce.all_endpoint_stats() if s.name == name][0]
        assert state.state == commerce.BreakerState.OPEN
        assert state.opened >= 1
        assert cache.stats().bypassed > 0


def test_search_results_through_redis(tmp_path, redis):
    # No in-process result cache: a search not answered by Redis runs the index.
    with open_engine(tmp_path / "s", search={"cache_entries": 0, "shards": 1, "run_indexer": False}) as e, \
            commerce.SharedCache(e, redis_url=redis.url, key_prefix="py3:") as cache:
        for i in range(3):
            e.catalog.upsert(_product("k%d" % i, "green kettle %d" % i))
        e.search.wait_for(e.events.last_seq())
        first = e.search.query(text="kettle")
        assert (first.total, first.from_cache) == (3, False)
        ran = e.search.stats().queries
        second = e.search.query(text="kettle")
        assert second.from_cache and second.total == 3
        assert [h.product_id for h in second.hits] == [h.product_id for h in first.hits]
        assert e.search.stats().queries == ran          # the index was not asked
        s = cache.stats()
        assert (s.search_hits, s.search_misses, s.search_stores) == (1, 1, 1)
        # A catalog change: the page of before is never served again.
        e.catalog.upsert(_product("k3", "blue kettle"))
        third = e.search.query(text="kettle", min_index_seq=e.events.last_seq())
        assert third.total == 4 and not third.from_cache
        assert not e.search.query(text="kettle", use_cache=False).from_cache
    with open_engine(tmp_path / "s2", search={"cache_entries": 0, "run_indexer": False}) as e, \
            commerce.SharedCache(e, redis_url=redis.url, key_prefix="py4:", search_ttl=0.0) as cache:
        e.search.query(text="kettle")
        e.search.query(text="kettle")
        assert cache.stats().search_misses == 0 and cache.stats().search_hits == 0


def test_bad_options_raise(tmp_path):
    with open_engine(tmp_path / "s") as e:
        with pytest.raises(commerce.InvalidArgument):
            commerce.SharedCache(e, redis_url="redis://nohost")
        with pytest.raises(commerce.InvalidArgument):
            commerce.SharedCache(e, redis_url="127.0.0.1:1", ttl_jitter=2.0)
        with pytest.raises(TypeError):
            commerce.SharedCache(e, redis="127.0.0.1:1")
        with pytest.raises(commerce.InvalidArgument):
            commerce.SharedCache(e, redis_url="127.0.0.1:1", search_max_bytes=10)
        with pytest.raises(commerce.InvalidArgument):
            commerce.SharedCache(e, redis_url="127.0.0.1:1", search_ttl=-1.0)

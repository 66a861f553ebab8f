"""The shared cache on Redis from Python: commerce.SharedCache(engine, redis_url=...) reads
products, and the engine's searches, through a Redis every process of the store shares; the
counters and the endpoint's breaker say what happened. Starts a private redis-server on a free port (Debian's redis-server package) and
stops it, killing it half-way to show reads going on from the store.

    /usr/bin/python3 examples/python/shared_cache.py
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import commerce


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()
redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
                         stdout=subprocess.DEVNULL, start_new_session=True)
try:
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.02)
    with tempfile.TemporaryDirectory() as d, commerce.Engine(os.path.join(d, "shop"), search={"cache_entries": 0}) as engine, \
            commerce.SharedCache(engine, redis_url="redis://127.0.0.1:%d" % port,
                                 key_prefix="example:") as cache:
        engine.catalog.upsert(commerce.Product(
            id="mug", title="Coffee mug", brand="Acme",
            variants=[{"sku": "MUG-1", "price": {"minor": 1200, "currency": "USD"}}]))
        for what in ("first read (miss, filled)", "second read (hit)"):
            title = cache.get_product("mug").title
            s = cache.stats()
            print("%-26s %s  hits=%d misses=%d fills=%d" % (what, title, s.hits, s.misses, s.fills))
        # Searches look in Redis too: a page is keyed by the index sequence it was answered
        # from, so once the index moves on (a catalog change) the old page is never served.
        engine.search.wait_for(engine.events.last_seq())
        for what in ("search (the index, stored)", "search again (Redis)"):
            r = engine.search.query(text="mug", use_cache=True)
            s = cache.stats()
            print("%-26s total=%d index_seq=%d from_cache=%s search_hits=%d" % (
                what, r.total, r.index_seq, r.from_cache, s.search_hits))
        os.killpg(redis.pid, signal.SIGKILL)
        redis.wait()
        for _ in range(10):
            cache.get_product("mug")
        s = cache.stats()
        print("Redis killed: still read %r from the store, bypassed=%d" % (cache.get_product("mug").title,
                                                                         s.bypassed))
        for e in commerce.all_endpoint_stats():
            print("%s: breaker %s, opened %d time(s)" % (e.name, e.state.name.lower(), e.opened))
finally:
    if redis.poll() is None:
        os.killpg(redis.pid, signal.SIGKILL)
        redis.wait()
sys.exit(0)

"""Every call that reaches storage or search releases the GIL: two Python threads searching
at once finish measurably sooner than one after the other, and a Python thread keeps
running while another waits in the engine."""

import os
import threading
import time

import pytest

import commerce
from conftest import open_engine

QUERIES = ["wireless headphones", "stainless steel pan", "running shoes", "usb cable", "coffee", "phone case",
           "leather wallet", "water bottle", "desk lamp", "gaming mouse"]


@pytest.fixture(scope="module")
def sample_engine(tmp_path_factory):
    d = tmp_path_factory.mktemp("gil")
    sample = commerce.SampleCatalog(products=3000, seed=5)
    path = d / "sample.jsonl"
    sample.write_jsonl(path)
    with open_engine(d / "store", search={"shards": 1, "run_indexer": False}) as e:
        for c in sample.categories():
            e.catalog.upsert_category(c)
        assert e.catalog.import_file(path).imported == 3000
        e.search.rebuild()
        yield e


def _search(engine, n):
    for i in range(n):
        engine.search.query(QUERIES[i % len(QUERIES)], facets=["brand", "category", "price"], use_cache=False,
                            limit=50)


def test_two_threads_search_faster_than_one_after_the_other(sample_engine):
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs 2 CPUs")
    _search(sample_engine, 20)  # warm the readers
    # Size a round to ~0.5 s sequential, then compare; the machine is shared, so the best of
    # a few rounds is taken.
    t0 = time.perf_counter()
    _search(sample_engine, 20)
    per_query = (time.perf_counter() - t0) / 20
    n = max(20, int(0.5 / per_query))
    best = 0.0
    for _ in range(5):
        t0 = time.perf_counter()
        _search(sample_engine, 2 * n)
        sequential = time.perf_counter() - t0
        threads = [threading.Thread(target=_search, args=(sample_engine, n)) for _ in range(2)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        parallel = time.perf_counter() - t0
        best = max(best, sequential / parallel)
        if best >= 1.3:
            break
    print("2 threads: %.2fx the speed of sequential searches" % best)
    assert best >= 1.25, "parallel searches were only %.2fx faster" % best


def test_python_runs_while_another_thread_waits_in_the_engine(sample_engine):
    done = threading.Event()

    def wait():
        sample_engine.events.wait(sample_engine.events.last_seq(), 0.5)
        done.set()

    t = threading.Thread(target=wait)
    t.start()
    spins = 0
    while not done.is_set():
        spins += 1
    t.join()
    assert spins > 10000  # the main thread kept the GIL busy for the whole wait


def test_import_releases_the_gil(sample_engine, tmp_path):
    sample = commerce.SampleCatalog(products=2000, seed=9)
    path = tmp_path / "more.jsonl"
    sample.write_jsonl(path)
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    t0 = time.perf_counter()
    sample_engine.catalog.import_file(path)
    elapsed = time.perf_counter() - t0
    stop.set()
    t.join()
    during = [x for x in ticks if t0 <= x <= t0 + elapsed]
    assert len(during) >= min(20, elapsed * 100)  # the ticker was not frozen

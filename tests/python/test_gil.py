"""Every call that reaches storage or search releases the GIL: a Python thread keeps running
while another searches, waits in the engine or imports. How much faster two threads search
than one is a benchmark's question (commerce-bench), not a test's."""

import sys
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


def test_other_python_threads_run_while_a_thread_searches(sample_engine):
    """With a switch interval far longer than the test, a thread gives the GIL up only where it
    blocks or where the engine releases it: the main thread runs while another thread is
    searching only if a search lets go of the GIL. Unlike a race of two threads against one
    (which this test replaced), the answer does not depend on how busy the machine is."""
    _search(sample_engine, 5)  # warm the readers
    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        started = threading.Event()

        def searcher():
            started.set()
            _search(sample_engine, 200)

        t = threading.Thread(target=searcher)
        t.start()
        started.wait()
        spins = 0
        while t.is_alive():
            spins += 1
            if spins % 100 == 0:
                time.sleep(0)  # lets the searcher take the GIL back between its searches
        t.join()
    finally:
        sys.setswitchinterval(old)
    assert spins >= 100, "the main thread ran %d steps while 200 searches ran in another thread" % spins


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

"""Event log retention through Python (tests/unit/events_retention_test.cpp in C++): trim and
its report, the horizon, commerce.Gone below it (tail, iter, set_cursor), bad policies refused
with nothing removed, the engine's background policy, the index rebuilt from the catalog, and
the example."""

import datetime
import os
import subprocess
import time
from pathlib import Path

import pytest

import commerce
from conftest import PYTHON, make_product, open_engine


def fill(e, n, prefix="p"):
    for i in range(n):
        e.catalog.upsert(make_product(f"{prefix}{i}"))


def test_trim_report_horizon_and_gone(engine):
    fill(engine, 12)
    ev = engine.events
    assert ev.first_seq() == 1
    held = ev.trim(max_count=3)
    assert (held.removed, held.first_seq, held.held_by) == (0, 1, "cursor:cart-expiry")
    engine.run_background_once()
    ev.set_cursor("mine", 4)
    r = ev.trim(max_count=3)
    assert isinstance(r, commerce.EventTrimReport)
    assert (r.removed, r.first_seq, r.last_seq, r.held_by) == (4, 5, 12, "cursor:mine")
    assert ev.first_seq() == 5
    with pytest.raises(commerce.Gone, match="oldest kept is 5") as e:
        ev.tail(1)
    assert isinstance(e.value, commerce.Error)
    with pytest.raises(commerce.Gone):
        ev.set_cursor("late", 2)
    with pytest.raises(commerce.Gone):
        list(ev.iter(1))
    assert [x.seq for x in ev.iter()] == list(range(5, 13))  # iter() starts at the horizon
    ev.set_cursor("mine", 12)
    r = ev.trim(max_age=datetime.timedelta(hours=1))
    assert (r.removed, r.first_seq) == (0, 5)
    time.sleep(0.01)
    r = ev.trim(max_count=3, max_age=0.001)  # either limit lets an event go
    assert (r.removed, r.first_seq, r.held_by) == (7, 12, "")
    engine.catalog.upsert(make_product("after"))
    assert ev.last_seq() == 13


def test_trim_bad_policies_remove_nothing(engine):
    fill(engine, 4)
    engine.run_background_once()
    with pytest.raises(commerce.InvalidArgument, match="max_age or max_count"):
        engine.events.trim()
    with pytest.raises(commerce.InvalidArgument, match="negative"):
        engine.events.trim(max_age=datetime.timedelta(seconds=-1))
    with pytest.raises(TypeError):
        engine.events.trim(max_count=-1)
    with pytest.raises(TypeError):
        engine.events.trim(3)  # keyword-only
    assert (engine.events.first_seq(), engine.events.last_seq()) == (1, 4)


def test_engine_policy_and_open_errors(tmp_path, driver):
    with pytest.raises(commerce.InvalidArgument, match="interval"):
        open_engine(tmp_path / "bad", driver,
                    event_retention=commerce.EventRetention(max_count=5, interval=datetime.timedelta(0)))
    policy = commerce.EventRetention(max_count=2, interval=datetime.timedelta(seconds=1))
    assert policy.max_count == 2 and policy.max_age == datetime.timedelta(0)
    with open_engine(tmp_path / "s", driver, event_retention=policy) as e:
        fill(e, 6)
        e.run_background_once()  # cart expiry, then the trim
        assert (e.events.first_seq(), e.events.last_seq()) == (5, 6)


def test_index_behind_the_horizon_rebuilds_from_the_catalog(tmp_path):
    with open_engine(tmp_path / "s", "lmdb") as e:
        fill(e, 10, "a")
        e.run_background_once()
        fill(e, 5, "b")
        e.events.set_cursor("cart-expiry", e.events.last_seq())
        e.events.trim(max_count=1)
        e.run_background_once()
        stats = e.search.stats()
        assert stats.rebuilds_after_trim == 1
        assert stats.documents == 15 and stats.indexed_seq == e.events.last_seq()


def test_example_runs():
    example = Path(__file__).resolve().parents[2] / "examples" / "python" / "events_retention.py"
    out = subprocess.run([PYTHON, str(example)], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert "trimmed 8; log 9..20; held by cursor:my-report" in out.stdout, out.stdout
    assert "tail(1): tail reads from event 1, but events 1..8 were trimmed" in out.stdout, out.stdout
    assert "iter() starts at the horizon: [16, 17, 18, 19, 20]" in out.stdout, out.stdout
    assert "index rebuilt from the catalog 1 time(s): 25 documents, lamp 24 found: True" in out.stdout, out.stdout

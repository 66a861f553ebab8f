"""Checking a store through Python: commerce.verify(path) and Engine.verify(). A sound store
is ok(); a record an older version stored with a string that is not UTF-8 is reported; no
store, a file, an unknown driver and a store in use are the engine's own errors.
"""

import json
import subprocess

import pytest

import commerce
from conftest import PYTHON, make_product, old_version_warehouse, open_engine


def test_verify_reports_an_old_record_that_is_not_utf8(tmp_path):
    store = tmp_path / "store"
    with open_engine(store, "sqlite") as e:
        e.inventory.upsert_warehouse(commerce.Warehouse(id="w1", name="Fine", region="us-east"))
    old_version_warehouse(store)
    with open_engine(store, "sqlite") as e:
        report = e.verify()
        assert not report.ok()
        assert [p.check for p in report.problems] == ["utf8"]
        assert "w-old" in report.problems[0].where
    report = commerce.verify(store)
    assert report.problem_counts == {"utf8": 1}
    assert report.unchecksummed_records == 1
    assert json.loads(report.to_json())["ok"] is False


def test_verify_a_sound_store_with_progress(tmp_path, driver):
    store = tmp_path / "store"
    with open_engine(store, driver) as e:
        e.catalog.upsert(make_product("p1", ["S1"]))
        assert e.verify().ok()
    seen = []
    report = commerce.verify(store, progress=seen.append)
    assert report.ok(), report.to_text()
    assert report.driver == driver and report.records["products"] == 1
    assert "OK, no problems" in report.to_text()
    assert {p.stage for p in seen} >= {"records"}


def test_verify_bad_inputs(tmp_path):
    with pytest.raises(commerce.NotFound):
        commerce.verify(tmp_path / "absent")
    (tmp_path / "f").write_text("x")
    with pytest.raises(commerce.InvalidArgument):
        commerce.verify(tmp_path / "f")
    (tmp_path / "empty").mkdir()
    with pytest.raises(commerce.NotFound, match="not a commerce store"):
        commerce.verify(tmp_path / "empty")
    with pytest.raises(commerce.InvalidArgument):
        commerce.verify(tmp_path, driver="rocksdb")


def test_verify_a_store_in_use_by_another_process_is_unavailable(tmp_path):
    store = tmp_path / "store"
    with open_engine(store, "lmdb") as e:
        e.catalog.upsert(make_product("p1", ["S1"]))
    holder = subprocess.Popen(
        [PYTHON, "-c", "import sys, commerce; e = commerce.Engine(sys.argv[1], run_background=False); "
                       "print('open', flush=True); sys.stdin.read()", str(store)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(commerce.Unavailable, match="in use"):
            commerce.verify(store)
    finally:
        holder.kill()
        holder.wait()

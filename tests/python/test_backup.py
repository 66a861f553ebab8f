"""Engine.backup and commerce.backup_store: a consistent copy of a store taken while writes go
on, from the engine that has it open or from a process beside the one that has; the copy
opens, holds every write acknowledged before the backup began and passes commerce.verify; bad
destinations raise the engine's errors and write nothing (docs/storage.md, "Backup and restore")."""

import subprocess
import threading

import pytest

import commerce
from conftest import PYTHON, make_product, open_engine


def test_engine_backup_while_a_thread_writes_then_restore(tmp_path, driver):
    with open_engine(tmp_path / "store", driver) as e:
        for i in range(20):
            e.catalog.upsert(make_product(f"p{i}"))
        stop = threading.Event()
        written = []

        def writer():
            while not stop.is_set():
                n = 1000 + len(written)
                e.catalog.upsert(make_product(f"p{n}"))
                written.append(n)

        t = threading.Thread(target=writer)
        t.start()
        calls = []
        try:
            e.backup(tmp_path / "copy", progress=lambda done, total: calls.append((done, total)))
        finally:
            stop.set()
            t.join()
        assert calls and 0 < calls[-1][0] <= calls[-1][1]

        # Bad destinations raise the engine's error and write nothing.
        with pytest.raises(commerce.AlreadyExists):
            e.backup(tmp_path / "copy")
        with pytest.raises(commerce.InvalidArgument):
            e.backup(tmp_path / "store" / "inside")
        assert not (tmp_path / "store" / "inside").exists()
        with pytest.raises(commerce.NotFound):
            e.backup(tmp_path / "no" / "parent")
        # This process has the store open: back it up through the engine.
        with pytest.raises(commerce.FailedPrecondition):
            commerce.backup_store(tmp_path / "store", tmp_path / "c2", driver=driver)
        assert not (tmp_path / "c2").exists()

    with open_engine(tmp_path / "copy", driver) as c:
        for i in range(20):
            assert c.catalog.get(f"p{i}").title == f"Product p{i}"
        assert c.verify().ok()
    report = commerce.verify(tmp_path / "copy")
    assert report.ok(), report.to_text()


CHILD = """
import sys, commerce
e = commerce.Engine(sys.argv[1], driver=sys.argv[2], run_background=False)
for i in range(30):
    e.catalog.upsert(commerce.Product(id=f"c{i}", title=f"Child {i}", variants=[
        commerce.Variant(sku=f"C{i}", price=commerce.Money(100, "USD"))]))
print("ready", flush=True)
sys.stdin.readline()
e.close()
"""


def test_backup_store_beside_another_process_that_has_the_store_open(tmp_path, driver):
    store = tmp_path / "store"
    child = subprocess.Popen([PYTHON, "-c", CHILD, str(store), driver], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        with pytest.raises(commerce.Unavailable):  # open there: a second engine is refused
            commerce.Engine(str(store), driver=driver)
        seen = []
        commerce.backup_store(store, tmp_path / "copy", driver=driver,
                              progress=lambda done, total: seen.append(done))
        assert seen
        with pytest.raises(commerce.NotFound):
            commerce.backup_store(tmp_path / "nothing", tmp_path / "c2", driver=driver)
        with pytest.raises(commerce.InvalidArgument):
            commerce.backup_store(store, tmp_path / "c3", driver="postgres")
    finally:
        child.stdin.close()
        child.wait(timeout=60)
    assert child.returncode == 0
    with open_engine(tmp_path / "copy", driver) as c:
        for i in range(30):
            assert c.catalog.get(f"c{i}").title == f"Child {i}"
    report = commerce.verify(tmp_path / "copy")
    assert report.ok(), report.to_text()


def test_an_exception_from_progress_is_raised_when_the_copy_ends(tmp_path):
    with open_engine(tmp_path / "store", "lmdb") as e:
        e.catalog.upsert(make_product("p"))

        def boom(done, total):
            raise RuntimeError("progress failed")

        with pytest.raises(RuntimeError, match="progress failed"):
            e.backup(tmp_path / "copy", progress=boom)

"""A child process importing products is killed with SIGKILL mid-import; every write it
reported as acknowledged (printed after the call returned) is in the reopened store."""

import os
import random
import signal
import subprocess
import textwrap
import time

import pytest

import commerce
from conftest import PYTHON, open_engine

CHILD = textwrap.dedent("""
    import sys
    import commerce
    path, driver = sys.argv[1], sys.argv[2]
    engine = commerce.Engine(path, driver=driver, run_background=False, search={"run_indexer": False})
    def rec(i):
        return {"id": "p%d" % i, "title": "Product %d" % i,
                "variants": [{"sku": "S%d" % i, "price": 100 + i, "currency": "USD"}]}
    print("ready", flush=True)
    i = 0
    while True:
        # A bulk import of 300 records: acknowledged when import_products returns.
        batch = [rec(n) for n in range(i, i + 300)]
        report = engine.catalog.import_products(batch)
        assert report.imported == 300, report
        print("ack %d %d" % (i, i + 300), flush=True)
        i += 300
        # Then single upserts, each acknowledged on return.
        for n in range(i, i + 20):
            engine.catalog.upsert(commerce.Product(id="p%d" % n, title="Product %d" % n, variants=[
                {"sku": "S%d" % n, "price": {"minor": 100 + n, "currency": "USD"}}]))
            print("ack %d %d" % (n, n + 1), flush=True)
        i += 20
""")


def run_and_kill(path, driver, kill_after_s, env):
    child = subprocess.Popen([PYTHON, "-c", CHILD, str(path), driver], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
    acked = []
    buf = b""
    fd = child.stdout.fileno()
    try:
        deadline = time.monotonic() + 60
        while b"ready\n" not in buf and time.monotonic() < deadline and child.poll() is None:
            buf += os.read(fd, 65536)
        assert b"ready\n" in buf, child.stderr.read()
        os.set_blocking(fd, False)
        deadline = time.monotonic() + kill_after_s
        while time.monotonic() < deadline and child.poll() is None:
            try:
                buf += os.read(fd, 65536)
            except BlockingIOError:
                time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
        child.wait()
        os.set_blocking(fd, True)
        buf += child.stdout.read()
        assert child.returncode == -signal.SIGKILL, child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    buf = buf.decode()
    for line in buf.splitlines():
        if line.startswith("ack ") and line.count(" ") == 2:
            lo, hi = map(int, line.split()[1:])
            acked.extend(range(lo, hi))
    return acked


@pytest.mark.parametrize("driver", ["lmdb", "sqlite"])
def test_sigkill_mid_import_loses_no_acknowledged_write(tmp_path, driver):
    env = dict(os.environ)
    rng = random.Random(1234)
    rounds = 3 if driver == "lmdb" else 2
    total_acked = set()
    for r in range(rounds):
        path = tmp_path / ("store-%d" % r)
        acked = run_and_kill(path, driver, rng.uniform(0.8, 2.0), env)
        assert acked, "the child acknowledged nothing before the kill"
        total_acked.update(acked)
        with open_engine(path, driver) as e:
            missing = [i for i in acked if not _has(e, i)]
            assert not missing, "lost %d acknowledged writes, e.g. p%d" % (len(missing), missing[0])
            # The store is usable after the crash.
            e.catalog.upsert(commerce.Product.from_dict(
                {"id": "after", "title": "After", "variants": [{"sku": "AFTER", "price": {"minor": 1, "currency": "USD"}}]}))
    assert len(total_acked) > 300


def _has(engine, i):
    try:
        return engine.catalog.get_by_sku("S%d" % i).id == "p%d" % i
    except commerce.NotFound:
        return False
